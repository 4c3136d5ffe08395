package projections

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
)

// BulkHandler is a Handler that can also rebuild its read model from
// scratch faster than batch by batch: a Rebuild then folds the whole log in
// memory and writes the result at once, instead of a MULTI/EXEC per batch.
type BulkHandler interface {
	Handler
	// Bulk returns a fresh loader for one rebuild, or false when this
	// handler cannot load in bulk after all (e.g. its store lacks a bulk
	// writer); the rebuild then applies batches as usual.
	Bulk() (BulkLoader, bool)
}

// BulkLoader rebuilds a read model that Reset has just emptied.
//
// Add receives every event of the projector's streams, in log order, in
// pages; it must not write the read model. Flush writes everything once the
// log's end is reached; its writes need not be atomic: the runner marks the
// rebuild as in progress until Flush and the checkpoint are done, and a
// runner that finds the mark rebuilds from scratch. After Flush the loader
// is not used again.
type BulkLoader interface {
	Add(ctx context.Context, events []eventstore.RecordedEvent) error
	Flush(ctx context.Context) error
}

// bulkPageSize is the number of events read per page during a bulk rebuild.
const bulkPageSize = 4096

// bulkPage is one page of the log for a bulk rebuild: the projector's
// events in it and the last position read, or an error.
type bulkPage struct {
	events []eventstore.RecordedEvent
	last   eventstore.Position
	err    error
}

// readPages sends the log from the start, page by page, to pages, and
// closes it at the log's end, after an error, or when ctx is done.
func (r *Runner) readPages(ctx context.Context, pages chan<- bulkPage) {
	defer close(pages)
	pos := eventstore.StartPosition
	for {
		page, err := r.cfg.Source.ReadAll(ctx, eventstore.ReadAllOptions{From: pos, Max: bulkPageSize})
		if err != nil {
			err = fmt.Errorf("read log after %s: %w", checkpoint.Format(pos), err)
			select {
			case pages <- bulkPage{err: err}:
			case <-ctx.Done():
			}
			return
		}
		p := bulkPage{events: make([]eventstore.RecordedEvent, 0, len(page)), last: pos}
		for _, ev := range page {
			if !pos.Less(ev.Position) {
				continue // From is inclusive
			}
			p.last = ev.Position
			if r.p.wants(ev.Stream) {
				p.events = append(p.events, ev)
			}
		}
		if p.last == pos {
			return
		}
		select {
		case pages <- p:
		case <-ctx.Done():
			return
		}
		pos = p.last
	}
}

// bulkLoader returns the projector's bulk loader, if it has one.
func (r *Runner) bulkLoader() (BulkLoader, bool) {
	h, ok := r.p.Handler.(BulkHandler)
	if !ok {
		return nil, false
	}
	return h.Bulk()
}

// bulkRebuild feeds the whole log to loader, flushes it, then commits the
// checkpoint at the last position read and clears the rebuild mark in one
// MULTI/EXEC. The read model must have been reset and marked. The next page
// of the log is read while the loader takes the current one.
func (r *Runner) bulkRebuild(ctx context.Context, loader BulkLoader, progress func(eventstore.Position)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan bulkPage, 2)
	go r.readPages(ctx, pages)
	pos := eventstore.StartPosition
	for page := range pages {
		if page.err != nil {
			return page.err
		}
		if len(page.events) > 0 {
			if err := loader.Add(ctx, page.events); err != nil {
				return fmt.Errorf("projector %s: bulk load up to %s: %w", r.p.Name, checkpoint.Format(page.last), err)
			}
		}
		pos = page.last
		if progress != nil {
			progress(pos)
		}
	}
	if err := ctx.Err(); err != nil {
		return err // the reader stopped early: the log was not read to its end
	}
	if err := loader.Flush(ctx); err != nil {
		return fmt.Errorf("projector %s: bulk write: %w", r.p.Name, err)
	}
	_, err := r.cfg.Redis.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		checkpoint.Queue(ctx, pipe, r.cfg.Prefix, r.p.Name, pos)
		pipe.Del(ctx, r.rebuildingKey())
		return nil
	})
	if err != nil {
		return fmt.Errorf("projector %s: commit bulk load up to %s: %w", r.p.Name, checkpoint.Format(pos), err)
	}
	r.cfg.Metrics.committed(r.p.Name, nil, pos.Commit, false)
	return nil
}
