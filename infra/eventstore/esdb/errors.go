package esdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// clientCode returns the code of the client error inside err. esdb.FromError
// must not be used for this: it only looks at err itself, and the client
// wraps its own errors (Delete, Tombstone, the send paths of an append) with
// fmt.Errorf, so FromError reports them as ErrorCodeUnknown.
func clientCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if !errors.As(err, &e) {
		return 0, false
	}
	return e.Code(), true
}

func hasClientCode(err error, code esdb.ErrorCode) bool {
	c, ok := clientCode(err)
	return ok && c == code
}

// isConnectionClosed reports whether the client had closed itself before the
// call, so the call never reached the server.
func isConnectionClosed(err error) bool {
	return hasClientCode(err, esdb.ErrorCodeConnectionClosed)
}

// isUnavailable reports whether the node could not be reached.
func isUnavailable(err error) bool {
	return hasClientCode(err, esdb.ErrorUnavailable) || status.Code(err) == codes.Unavailable
}

// portError maps the client's not-found and deleted errors to the port's
// sentinels and leaves any other error as it is.
func portError(err error) error {
	code, ok := clientCode(err)
	switch {
	case !ok:
		return err
	case code == esdb.ErrorCodeResourceNotFound:
		return eventstore.ErrStreamNotFound
	case code == esdb.ErrorCodeStreamDeleted:
		return eventstore.ErrStreamDeleted
	}
	return err
}

var (
	// The client's own message for an append's WrongExpectedVersion answer:
	// "wrong expected version: expecting '<expected>' but got '<current>'",
	// where current is "no_stream" or a revision.
	clientActualRevision = regexp.MustCompile(`but got '([^']*)'`)
	// The server's status message for a Delete or Tombstone refused on its
	// expected version: "... WrongExpectedVersion. Stream: s, Expected
	// version: n, Actual version: m", where m is -1 for no stream and may be
	// empty when unknown.
	serverActualVersion = regexp.MustCompile(`Actual version: (-?\d+)`)
)

// wrongExpectedRevision recognises a failed optimistic-concurrency check in
// err and returns the stream's actual revision, when err tells it.
//
// An append's check arrives typed (ErrorCodeWrongExpectedVersion). A Delete's
// or Tombstone's arrives as a plain FailedPrecondition status: the server
// marks it with the trailer exception=wrong-expected-version and puts the
// revisions in the trailers expected-version and actual-version, but the
// client keeps the trailers to itself, so the status message is all there is.
func wrongExpectedRevision(err error) (actual int64, known, ok bool) {
	var e *esdb.Error
	if !errors.As(err, &e) {
		return 0, false, false
	}
	if e.Code() == esdb.ErrorCodeWrongExpectedVersion {
		actual, known = parseClientActual(e.Error())
		return actual, known, true
	}
	st, isStatus := status.FromError(e.Err())
	if !isStatus || st.Code() != codes.FailedPrecondition || !mentionsWrongExpectedVersion(st.Message()) {
		return 0, false, false
	}
	m := serverActualVersion.FindStringSubmatch(st.Message())
	if m == nil {
		return 0, false, true
	}
	actual, perr := strconv.ParseInt(m[1], 10, 64)
	if perr != nil || actual < eventstore.NoRevision {
		return 0, false, true
	}
	return actual, true, true
}

func parseClientActual(msg string) (int64, bool) {
	m := clientActualRevision.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	if m[1] == "no_stream" {
		return eventstore.NoRevision, true
	}
	rev, err := strconv.ParseUint(m[1], 10, 63)
	if err != nil {
		return 0, false
	}
	return int64(rev), true
}

func mentionsWrongExpectedVersion(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "wrongexpectedversion") || strings.Contains(msg, "wrong expected version")
}

// readError wraps the error of a read of stream.
func readError(op, stream string, err error) error {
	return fmt.Errorf("esdb: %s %q: %w", op, stream, portError(err))
}

// writeError wraps the error of a write to stream. A failed concurrency
// check becomes a *eventstore.WrongExpectedRevisionError; when err does not
// tell the actual revision, it is read from target, the stream whose
// revision expected was checked against (stream itself or its metadata
// stream), which is accurate unless a write slipped in since.
func (s *Store) writeError(ctx context.Context, op, stream, target string, expected eventstore.ExpectedRevision, err error) error {
	actual, known, ok := wrongExpectedRevision(err)
	if !ok {
		return fmt.Errorf("esdb: %s %q: %w", op, stream, portError(err))
	}
	if !known {
		actual = s.lastRevision(ctx, target)
	}
	return fmt.Errorf("esdb: %s %q: %w", op, stream, &eventstore.WrongExpectedRevisionError{
		Stream:   stream,
		Expected: expected,
		Actual:   actual,
	})
}
