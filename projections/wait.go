package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
)

// ErrNotCaughtUp means a read model did not reach the requested position in
// time; the HTTP layer answers 503 with Retry-After.
var ErrNotCaughtUp = errors.New("projections: read model has not caught up yet")

// Waiter gives queries read-your-writes: a command answers with its event's
// global position, and a query passing it back waits until the read model
// has applied it. It reads the checkpoint from Redis, so it works whichever
// process runs the projector.
type Waiter struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewWaiter returns a Waiter over the checkpoints under prefix.
func NewWaiter(rdb redis.UniversalClient, prefix string) *Waiter {
	return &Waiter{rdb: rdb, prefix: prefix}
}

// WaitFor returns nil once projector's checkpoint is at or after pos, and
// ErrNotCaughtUp if that has not happened within timeout.
func (w *Waiter) WaitFor(ctx context.Context, projector string, pos eventstore.Position, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		cp, err := checkpoint.Load(ctx, w.rdb, w.prefix, projector)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", projector, err)
		}
		if !cp.Less(pos) {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%w: %s is at %s, asked for %s", ErrNotCaughtUp, projector, checkpoint.Format(cp), checkpoint.Format(pos))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(pause, left)):
		}
		pause = min(pause*2, 20*time.Millisecond)
	}
}
