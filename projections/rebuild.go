package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
)

// ErrBusy means another runner (usually a server) holds the projector's
// lease, so a rebuild would interleave with its writes.
var ErrBusy = errors.New("projections: projector is running elsewhere")

// Progress reports a rebuild's advance: done and total are commit
// positions, so done/total is the fraction of the log read.
type Progress func(done, total uint64)

// Rebuild deletes the read model and its checkpoint, then applies the whole
// log from the start up to its end. It fails with ErrBusy while another
// runner holds the projector's lease.
func (r *Runner) Rebuild(ctx context.Context, progress Progress) error {
	l, ok, err := tryLease(ctx, r.cfg.Redis, r.leaseKey(), r.cfg.LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: stop the server (or wait for its lease to expire) and try again", ErrBusy)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer l.release()
	go l.keep(ctx, func() { cancel(errors.New("projector lease lost")) })

	head, err := r.cfg.Source.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.EndPosition, Max: 1})
	if err != nil {
		return fmt.Errorf("rebuild %s: find the end of the log: %w", r.p.Name, err)
	}
	var total uint64
	if len(head) > 0 {
		total = head[0].Position.Commit
	}
	if r.p.Reset != nil {
		if err := r.p.Reset(ctx); err != nil {
			return fmt.Errorf("rebuild %s: reset: %w", r.p.Name, err)
		}
	}
	if err := r.cfg.Redis.Del(ctx, checkpoint.Key(r.cfg.Prefix, r.p.Name)).Err(); err != nil {
		return fmt.Errorf("rebuild %s: drop checkpoint: %w", r.p.Name, err)
	}
	report := func(pos eventstore.Position) {
		if progress != nil {
			progress(min(pos.Commit, total), total)
		}
	}
	if _, err := r.catchUp(ctx, eventstore.StartPosition, report); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			return fmt.Errorf("rebuild %s: %w", r.p.Name, cause)
		}
		return fmt.Errorf("rebuild %s: %w", r.p.Name, err)
	}
	report(eventstore.Position{Commit: total})
	return nil
}
