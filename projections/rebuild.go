package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

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
//
// A projector whose handler is a BulkHandler is rebuilt in bulk: the whole
// log is folded in memory and written at once, then the checkpoint. Either
// way the rebuild is marked in Redis from before the reset until the read
// model is consistent with its checkpoint; a runner that starts and finds
// the mark (a rebuild crashed) rebuilds again from scratch instead of
// resuming a half-written read model.
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

	if err := r.rebuild(ctx, progress); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			return fmt.Errorf("rebuild %s: %w", r.p.Name, cause)
		}
		return err
	}
	return nil
}

// rebuildingKey marks a rebuild in progress (see Rebuild).
func (r *Runner) rebuildingKey() string { return r.cfg.Prefix + "rebuilding:" + r.p.Name }

// rebuild is Rebuild for a runner that holds the lease.
func (r *Runner) rebuild(ctx context.Context, progress Progress) error {
	head, err := r.cfg.Source.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.EndPosition, Max: 1})
	if err != nil {
		return fmt.Errorf("rebuild %s: find the end of the log: %w", r.p.Name, err)
	}
	var total uint64
	if len(head) > 0 {
		total = head[0].Position.Commit
	}
	if err := r.cfg.Redis.Set(ctx, r.rebuildingKey(), "1", 0).Err(); err != nil {
		return fmt.Errorf("rebuild %s: mark: %w", r.p.Name, err)
	}
	if r.p.Reset != nil {
		if err := r.p.Reset(ctx); err != nil {
			return fmt.Errorf("rebuild %s: reset: %w", r.p.Name, err)
		}
	}
	report := func(pos eventstore.Position) {
		if progress != nil {
			progress(min(pos.Commit, total), total)
		}
	}
	if loader, ok := r.bulkLoader(); ok {
		if err := r.cfg.Redis.Del(ctx, checkpoint.Key(r.cfg.Prefix, r.p.Name)).Err(); err != nil {
			return fmt.Errorf("rebuild %s: drop checkpoint: %w", r.p.Name, err)
		}
		if err := r.bulkRebuild(ctx, loader, report); err != nil {
			return fmt.Errorf("rebuild %s: %w", r.p.Name, err)
		}
	} else {
		// From here on the empty read model and the missing checkpoint
		// agree, and every batch commits its own checkpoint.
		_, err := r.cfg.Redis.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Del(ctx, checkpoint.Key(r.cfg.Prefix, r.p.Name), r.rebuildingKey())
			return nil
		})
		if err != nil {
			return fmt.Errorf("rebuild %s: drop checkpoint: %w", r.p.Name, err)
		}
		if _, err := r.catchUp(ctx, eventstore.StartPosition, report); err != nil {
			return fmt.Errorf("rebuild %s: %w", r.p.Name, err)
		}
	}
	report(eventstore.Position{Commit: total})
	return nil
}

// finishCrashedRebuild rebuilds the read model from scratch if a rebuild
// was marked in progress and never finished; the runner holds the lease.
func (r *Runner) finishCrashedRebuild(ctx context.Context) error {
	n, err := r.cfg.Redis.Exists(ctx, r.rebuildingKey()).Result()
	if err != nil {
		return fmt.Errorf("rebuild mark of %s: %w", r.p.Name, err)
	}
	if n == 0 {
		return nil
	}
	r.cfg.Logger.Warn("projector rebuild was interrupted; rebuilding from scratch", slog.String("projector", r.p.Name))
	return r.rebuild(ctx, nil)
}
