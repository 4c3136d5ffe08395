package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
)

// EventSource is the part of the event store a runner reads.
type EventSource interface {
	ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error)
	SubscribeToAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error)
}

// Config is what every runner shares.
type Config struct {
	Source EventSource
	Redis  redis.UniversalClient
	// Prefix is the Redis key prefix of the read models.
	Prefix  string
	Logger  *slog.Logger
	Metrics *Metrics
	// MaxBatch bounds the events committed in one transaction (default 512).
	MaxBatch int
	// LeaseTTL bounds how long a crashed runner blocks others (default 10s).
	LeaseTTL time.Duration
	// IdleCheck is how often an idle runner moves its checkpoint past other
	// streams' events (default 50ms).
	IdleCheck time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 512
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.IdleCheck <= 0 {
		c.IdleCheck = 50 * time.Millisecond
	}
}

func (c Config) validate(p Projector) error {
	var errs []error
	if c.Source == nil {
		errs = append(errs, errors.New("no event source"))
	}
	if c.Redis == nil {
		errs = append(errs, errors.New("no redis client"))
	}
	if p.Name == "" {
		errs = append(errs, errors.New("projector without a name"))
	}
	if p.Handler == nil {
		errs = append(errs, fmt.Errorf("projector %q without a handler", p.Name))
	}
	return errors.Join(errs...)
}

// Runner applies the global log to one projector.
type Runner struct {
	cfg Config
	p   Projector
}

// NewRunner checks the configuration and returns a runner for p.
func NewRunner(cfg Config, p Projector) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.validate(p); err != nil {
		return nil, fmt.Errorf("projections: %w", err)
	}
	return &Runner{cfg: cfg, p: p}, nil
}

// Name is the projector's name.
func (r *Runner) Name() string { return r.p.Name }

func (r *Runner) leaseKey() string { return r.cfg.Prefix + "lease:projector:" + r.p.Name }

// Run keeps the read model up to date until ctx is done: it catches up from
// the checkpoint, then follows live events. Failures are logged and retried
// from the last checkpoint with backoff; an event is never skipped. Only one
// runner per projector writes at a time (a lease in Redis); others wait.
func (r *Runner) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	waiting := false
	for ctx.Err() == nil {
		l, ok, err := tryLease(ctx, r.cfg.Redis, r.leaseKey(), r.cfg.LeaseTTL)
		switch {
		case err != nil:
			r.cfg.Logger.Warn("projector lease", slog.String("projector", r.p.Name), slog.Any("error", err))
		case !ok:
			if !waiting {
				r.cfg.Logger.Info("projector runs elsewhere; waiting for its lease", slog.String("projector", r.p.Name))
				waiting = true
			}
		default:
			waiting = false
			err = r.runLeased(ctx, l)
			if ctx.Err() != nil {
				return nil
			}
			r.cfg.Logger.Error("projector stopped; retrying from its checkpoint",
				slog.String("projector", r.p.Name), slog.Any("error", err), slog.Duration("backoff", backoff))
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	return nil
}

func (r *Runner) runLeased(ctx context.Context, l *lease) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer l.release()
	go l.keep(ctx, func() { cancel(errors.New("projector lease lost")) })

	err := r.follow(ctx)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// follow catches up by reading the log in pages, then subscribes from where
// it got to and commits live events in batches.
func (r *Runner) follow(ctx context.Context) error {
	if err := r.finishCrashedRebuild(ctx); err != nil {
		return err
	}
	pos, err := checkpoint.Load(ctx, r.cfg.Redis, r.cfg.Prefix, r.p.Name)
	if err != nil {
		return err
	}
	if pos, err = r.catchUp(ctx, pos, nil); err != nil {
		return err
	}
	r.cfg.Logger.Info("projector caught up", slog.String("projector", r.p.Name), slog.String("position", checkpoint.Format(pos)))

	sub, err := r.cfg.Source.SubscribeToAll(ctx, eventstore.SubscribeOptions{After: pos, Prefixes: r.p.Prefixes})
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer sub.Close()

	pumpCtx, stopPump := context.WithCancel(ctx)
	defer stopPump()
	events := make(chan eventstore.RecordedEvent, r.cfg.MaxBatch)
	errc := make(chan error, 1)
	go func() {
		for {
			ev, err := sub.Recv()
			if err != nil {
				errc <- err
				return
			}
			select {
			case events <- ev:
			case <-pumpCtx.Done():
				return
			}
		}
	}()

	// A filtered subscription delivers only this projector's events, so
	// the checkpoint would stand still while other streams move on, and a
	// query waiting for a later position (min_position) would wait in vain.
	// When the subscription was idle for a whole tick, the log after the
	// checkpoint is read in full (catchUp: in order, nothing skipped) and
	// the checkpoint moves to its end; events the subscription then
	// delivers at or before the checkpoint were applied by that read and
	// are dropped. While it delivers, its events move the checkpoint, and
	// the log is not read again: a busy projector (the users list under a
	// flood of creates) read every tick's events twice.
	idle := time.NewTicker(r.cfg.IdleCheck)
	defer idle.Stop()
	delivered := false // since the last tick
	batch := make([]eventstore.RecordedEvent, 0, r.cfg.MaxBatch)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return fmt.Errorf("subscription: %w", err)
		case <-idle.C:
			if delivered || len(events) > 0 {
				delivered = false
				continue
			}
			if pos, err = r.catchUp(ctx, pos, nil); err != nil {
				return err
			}
		case ev := <-events:
			delivered = true
			batch = batch[:0]
			if pos.Less(ev.Position) {
				batch = append(batch, ev)
			}
		drain:
			for len(batch) < r.cfg.MaxBatch {
				select {
				case ev := <-events:
					if pos.Less(ev.Position) {
						batch = append(batch, ev)
					}
				default:
					break drain
				}
			}
			if len(batch) == 0 {
				continue
			}
			upTo := batch[len(batch)-1].Position
			if err := r.commit(ctx, batch, upTo, len(events) == 0); err != nil {
				return err
			}
			pos = upTo
		}
	}
}

// catchUp applies the log after pos page by page until it reaches the end
// (or until, when set), committing the checkpoint after every page, also a
// page with no event for this projector. It returns the last position read.
func (r *Runner) catchUp(ctx context.Context, pos eventstore.Position, progress func(eventstore.Position)) (eventstore.Position, error) {
	pageSize := max(r.cfg.MaxBatch, 1024)
	for {
		page, err := r.cfg.Source.ReadAll(ctx, eventstore.ReadAllOptions{From: pos, Max: pageSize})
		if err != nil {
			return pos, fmt.Errorf("read log after %s: %w", checkpoint.Format(pos), err)
		}
		var mine []eventstore.RecordedEvent
		last := pos
		for _, ev := range page {
			if !pos.Less(ev.Position) {
				continue // From is inclusive: the checkpoint's own event is done
			}
			last = ev.Position
			if r.p.wants(ev.Stream) {
				mine = append(mine, ev)
			}
		}
		if last == pos {
			return pos, nil
		}
		for len(mine) > r.cfg.MaxBatch {
			if err := r.commit(ctx, mine[:r.cfg.MaxBatch], mine[r.cfg.MaxBatch-1].Position, false); err != nil {
				return pos, err
			}
			mine = mine[r.cfg.MaxBatch:]
		}
		if err := r.commit(ctx, mine, last, false); err != nil {
			return pos, err
		}
		pos = last
		if progress != nil {
			progress(pos)
		}
	}
}

// commit applies events and moves the checkpoint to upTo in one MULTI/EXEC.
func (r *Runner) commit(ctx context.Context, events []eventstore.RecordedEvent, upTo eventstore.Position, caughtUp bool) error {
	pipe := r.cfg.Redis.TxPipeline()
	if len(events) > 0 {
		if err := r.p.Handler.Apply(ctx, pipe, events); err != nil {
			pipe.Discard()
			return fmt.Errorf("projector %s: apply events up to %s: %w", r.p.Name, checkpoint.Format(upTo), err)
		}
	}
	checkpoint.Queue(ctx, pipe, r.cfg.Prefix, r.p.Name, upTo)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("projector %s: commit up to %s: %w", r.p.Name, checkpoint.Format(upTo), err)
	}
	created := make([]time.Time, len(events))
	for i, ev := range events {
		created[i] = ev.Created
	}
	r.cfg.Metrics.committed(r.p.Name, created, upTo.Commit, caughtUp)
	return nil
}
