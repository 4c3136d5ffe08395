package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// httpError is an error the HTTP layer itself raises (bad JSON, bad query
// parameters, oversized bodies), already shaped as a problem.
type httpError struct{ p problem }

func (e *httpError) Error() string { return e.p.Detail }

func badRequest(slug, detail string, fields ...domain.FieldError) error {
	return &httpError{problem{Type: slug, Status: http.StatusBadRequest, Detail: detail, Errors: fields}}
}

// statusClientClosedRequest is nginx's status for a request whose client
// went away before the answer. No client ever reads it; it keeps abandoned
// requests out of the 500s in metrics and the access log, and out of the
// error log.
const statusClientClosedRequest = 499

// respondError maps every error kind to exactly one status and problem type.
// Unknown errors are logged and answered as 500 without their text, which
// may hold internals; an error that is the request's own cancellation (the
// client closed the connection) is 499 and logged at debug level only.
func respondError(logger *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeProblem(w, r, he.p)
		return
	}
	var pe *users.ParamError
	if errors.As(err, &pe) {
		writeProblem(w, r, problem{Type: "invalid-parameter", Status: http.StatusBadRequest, Detail: pe.Error(),
			Errors: []domain.FieldError{{Field: pe.Param, Code: domain.CodeInvalid, Message: pe.Reason}}})
		return
	}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		writeProblem(w, r, problem{Type: "validation-error", Status: http.StatusBadRequest, Detail: ve.Error(), Errors: ve.Fields})
		return
	}
	var fe *forbiddenError
	if errors.As(err, &fe) {
		writeProblem(w, r, problem{Type: "forbidden", Status: http.StatusForbidden, Detail: fe.Error(), Errors: fe.fields})
		return
	}
	var ce *domain.ConflictError
	if errors.As(err, &ce) {
		writeProblem(w, r, problem{Type: "conflict", Status: http.StatusConflict, Detail: ce.Error(), Code: ce.Code, Field: ce.Field})
		return
	}
	switch {
	case errors.Is(err, user.ErrDeleted):
		writeProblem(w, r, problem{Type: "user-deleted", Status: http.StatusGone, Detail: "the user is deleted; deletion is final"})
	case errors.Is(err, domain.ErrInvalid):
		writeProblem(w, r, problem{Type: "validation-error", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, domain.ErrNotFound):
		writeProblem(w, r, problem{Type: "not-found", Status: http.StatusNotFound, Detail: err.Error()})
	case errors.Is(err, domain.ErrConflict):
		writeProblem(w, r, problem{Type: "conflict", Status: http.StatusConflict, Detail: err.Error()})
	case errors.Is(err, domain.ErrPreconditionFailed):
		writeProblem(w, r, problem{Type: "precondition-failed", Status: http.StatusPreconditionFailed, Detail: err.Error()})
	case errors.Is(err, domain.ErrForbidden):
		writeProblem(w, r, problem{Type: "forbidden", Status: http.StatusForbidden, Detail: err.Error()})
	case clientGone(r, err):
		logger.DebugContext(r.Context(), "client closed the request", slog.Any("error", err), slog.String("request_id", requestIDFrom(r.Context())))
		writeProblem(w, r, problem{Type: "client-closed-request", Title: "Client Closed Request", Status: statusClientClosedRequest, Detail: "the client closed the connection before the answer"})
	default:
		logger.ErrorContext(r.Context(), "request failed", slog.Any("error", err), slog.String("request_id", requestIDFrom(r.Context())))
		writeProblem(w, r, problem{Type: "internal", Status: http.StatusInternalServerError, Detail: "the server failed to handle the request; quote the instance when reporting it"})
	}
}

// clientGone reports whether err is the request context's own end: the
// client closed the connection (net/http cancels the context then).
func clientGone(r *http.Request, err error) bool {
	ctxErr := r.Context().Err()
	return ctxErr != nil && errors.Is(err, ctxErr) && errors.Is(ctxErr, context.Canceled)
}
