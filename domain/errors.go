package domain

import (
	"errors"
	"strings"
)

// The error kinds of the domain. Each kind maps to exactly one HTTP status in
// the HTTP layer, so callers test for them with errors.Is and never compare
// messages. Richer errors (ValidationError, ConflictError) match their kind
// through Unwrap.
var (
	// ErrNotFound: the addressed thing does not exist, or no longer exists
	// for commands (a deleted user).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the command contradicts the current state, e.g. suspending
	// a suspended user or taking an email someone else holds.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a rule on its own, whatever the state.
	ErrInvalid = errors.New("invalid input")
	// ErrPreconditionFailed: a condition the caller attached to the command
	// (such as an expected revision) does not hold.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("forbidden")
)

// Stable field error codes. Clients branch on them, so they never change
// meaning; add new ones instead.
const (
	CodeRequired = "required"
	CodeInvalid  = "invalid"
	CodeTooLong  = "too_long"
)

// FieldError is one broken rule on one input field. Field is the name the
// API uses for it (e.g. "email", "first_name"), so a client can put the
// message next to the right form control.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ValidationError reports every broken input rule of a command at once, so
// a form can show all of them in one round trip. It matches ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

// Invalid returns a ValidationError about a single field.
func Invalid(field, code, message string) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

// Error lists the field errors in order.
func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return ErrInvalid.Error()
	}
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	b.WriteString(": ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Field != "" {
			b.WriteString(f.Field)
			b.WriteString(": ")
		}
		b.WriteString(f.Message)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// CollectValidation merges the field errors of errs into one
// ValidationError, so a command can check every field before answering.
// Nil errors are skipped and nil is returned when nothing is left. An error
// that is not a ValidationError is a different kind of failure and is
// returned as it is, ahead of any field errors.
func CollectValidation(errs ...error) error {
	var merged ValidationError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		merged.Fields = append(merged.Fields, ve.Fields...)
	}
	if len(merged.Fields) == 0 {
		return nil
	}
	return &merged
}

// ConflictError is a conflict with the current state that a client can act
// on. Field names the input at fault when there is one (an email already
// taken has Field "email"); Code is a stable, machine-readable reason such
// as "already_suspended". It matches ErrConflict.
type ConflictError struct {
	Field   string
	Code    string
	Message string
}

// Error describes the conflict.
func (e *ConflictError) Error() string {
	msg := ErrConflict.Error()
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }
