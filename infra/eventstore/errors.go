package eventstore

import (
	"errors"
	"fmt"
)

var (
	// ErrStreamNotFound: the stream never existed or was soft-deleted.
	ErrStreamNotFound = errors.New("eventstore: stream not found")
	// ErrStreamDeleted: the stream was tombstoned and can never be used again.
	ErrStreamDeleted = errors.New("eventstore: stream deleted")
	// ErrClosed: the store or subscription was closed.
	ErrClosed = errors.New("eventstore: closed")
	// ErrInvalidEvent: an event to append lacks an ID or type, or a stream
	// name is empty.
	ErrInvalidEvent = errors.New("eventstore: invalid event")
)

// WrongExpectedRevisionError reports a failed optimistic-concurrency check.
// Callers branch on it with errors.As.
type WrongExpectedRevisionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the stream's current last revision, NoRevision if the
	// stream has no events.
	Actual int64
}

func (e *WrongExpectedRevisionError) Error() string {
	actual := "no stream"
	if e.Actual != NoRevision {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("eventstore: stream %q: expected %s, found %s", e.Stream, e.Expected, actual)
}

// IsWrongExpectedRevision reports whether err is a *WrongExpectedRevisionError.
func IsWrongExpectedRevision(err error) bool {
	var w *WrongExpectedRevisionError
	return errors.As(err, &w)
}
