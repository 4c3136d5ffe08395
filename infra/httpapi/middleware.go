package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
)

type ctxKey int

const requestIDKey ctxKey = iota

// validRequestID bounds what a client may send as X-Request-Id, so that it
// can go into logs and event metadata safely.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID takes the client's X-Request-Id when it is well-formed, else
// makes one, and echoes it in the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", requestIDFrom(r.Context())),
		)
	})
}

// recoverPanics turns a handler panic into a 500 problem and a log line
// instead of a dropped connection.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "handler panic", slog.Any("panic", v), slog.String("request_id", requestIDFrom(r.Context())))
				writeProblem(w, r, problem{Type: "internal", Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: "the server failed to handle the request; quote the instance when reporting it"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// commandQuery lists the query parameters each command route takes, by
// "METHOD template". Commands take their input from the body; a query
// parameter one would ignore (say, a misspelt data=anonymize on DELETE)
// is refused instead.
var commandQuery = map[string][]string{
	http.MethodDelete + " /v1/users/{id}": {"data"},
}

// strictQuery answers 400 to a request whose query string does not parse.
// net/url drops a malformed pair (one after a ";" separator, or with a bad
// "%" escape) and keeps the rest, so a handler would act as if that
// parameter were absent: "DELETE ?data=anonymize;" would soft-delete.
func strictQuery(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			respondError(logger, w, r, badRequest("invalid-parameter",
				"the query string is malformed ("+err.Error()+"): separate parameters with & and write % as %25"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseCommandQuery answers 400 to a command (any method but GET and
// HEAD) with a query parameter its route does not take, or one given more
// than once.
func refuseCommandQuery(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		var tmpl string
		if route := mux.CurrentRoute(r); route != nil {
			tmpl, _ = route.GetPathTemplate()
		}
		takes := commandQuery[r.Method+" "+tmpl]
		query := r.URL.Query()
		names := slices.Sorted(maps.Keys(query))
		for _, name := range names {
			switch {
			case !slices.Contains(takes, name):
				msg := "is not a parameter of this request (it takes none)"
				if len(takes) > 0 {
					msg = fmt.Sprintf("is not a parameter of this request (it takes %s)", strings.Join(takes, ", "))
				}
				respondError(logger, w, r, badParam(name, msg))
				return
			case len(query[name]) > 1:
				respondError(logger, w, r, badParam(name, fmt.Sprintf("is given %d times, at most once allowed", len(query[name]))))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
