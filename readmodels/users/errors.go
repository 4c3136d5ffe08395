package users

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: no user with that ID is in the read model.
	ErrNotFound = errors.New("users: not found")
	// ErrInvalidDoc: a Doc handed to Put or Remove breaks a rule the
	// indexes rely on (see Doc); the projector has a bug.
	ErrInvalidDoc = errors.New("users: invalid doc")
	// ErrInvalidQuery: a query or one of its parameters is invalid (HTTP
	// 400). Errors carrying it are *ParamError values naming the parameter.
	ErrInvalidQuery = errors.New("users: invalid query")
	// ErrInvalidCursor: the cursor is malformed or was issued for another
	// sort order. It is also an ErrInvalidQuery.
	ErrInvalidCursor = fmt.Errorf("%w: invalid cursor", ErrInvalidQuery)
)

// ParamError reports an invalid query parameter. Param is the URL
// parameter's name (q, role, org, status, team, lock, two_factor,
// invitation, sort, limit, cursor); Err is ErrInvalidQuery or
// ErrInvalidCursor.
type ParamError struct {
	Param  string
	Reason string
	Err    error
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("query parameter %q: %s", e.Param, e.Reason)
}

func (e *ParamError) Unwrap() error { return e.Err }

func paramError(param, format string, args ...any) error {
	return &ParamError{Param: param, Reason: fmt.Sprintf(format, args...), Err: ErrInvalidQuery}
}

func cursorError(format string, args ...any) error {
	return &ParamError{Param: "cursor", Reason: fmt.Sprintf(format, args...), Err: ErrInvalidCursor}
}
