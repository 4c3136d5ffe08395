package esdb

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// errClientPanic marks a known panic of the client turned into an error.
var errClientPanic = errors.New("esdb: the client panicked")

// do runs op with the current client and retries it at most once.
//
// A client that has closed itself for good (it does so after one failed
// discovery) answers every call with ErrorCodeConnectionClosed before
// sending anything; do replaces it and runs op again, which is always safe.
// A node that was unavailable is retried only if op is idempotent: reads,
// and appends (the server deduplicates them by event ID). The client starts
// a new discovery by itself after an unavailable node.
//
// Once the store is closed, do answers eventstore.ErrClosed.
func (s *Store) do(ctx context.Context, idempotent bool, op func(*esdb.Client) error) error {
	c, err := s.current()
	if err != nil {
		return err
	}
	err = run(c, op)
	switch {
	case err == nil:
		return nil
	case s.isClosed():
		return eventstore.ErrClosed
	case ctx.Err() != nil:
		// gRPC's Canceled and DeadlineExceeded statuses do not match the
		// context's errors; wrap ctx.Err() so that callers can tell, with
		// errors.Is, a call its caller gave up on.
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	case isConnectionClosed(err):
		if c, err = s.replace(c); err != nil {
			return err
		}
	case idempotent && isUnavailable(err):
	default:
		return err
	}
	if err = run(c, op); err != nil && s.isClosed() {
		return eventstore.ErrClosed
	}
	return err
}

// run calls op and turns the client's known panics into errors: a send on
// the channel of a closed client (a call that ends with an unavailable node
// after its client was closed), a nil position in a Delete or Tombstone
// answer, and an unexpected message in a read. Any other panic goes on.
func run(c *esdb.Client, op func(*esdb.Client) error) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !isKnownClientPanic(r) {
			panic(r)
		}
		err = fmt.Errorf("%w: %v", errClientPanic, r)
	}()
	return op(c)
}

func isKnownClientPanic(r any) bool {
	if rerr, ok := r.(runtime.Error); ok {
		msg := rerr.Error()
		return strings.Contains(msg, "send on closed channel") ||
			strings.Contains(msg, "nil pointer dereference")
	}
	msg, ok := r.(string)
	return ok && msg == "unreachable code"
}
