package embedded

import (
	"context"
	"fmt"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"go.etcd.io/bbolt"
)

// ReadAll implements eventstore.Store. Events of tombstoned streams are
// gone from the log; events of soft-deleted streams are still returned, and
// stream metadata (MaxAge, MaxCount, TruncateBefore) does not filter the
// global log. A Position's Commit part selects the event; EndPosition reads
// backwards from the newest event.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	limit := opts.Max
	if limit <= 0 {
		limit = eventstore.DefaultMaxCount
	}
	var events []eventstore.RecordedEvent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		events, err = readAllTx(tx, opts.Direction, opts.From.Commit, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	return events, nil
}

// readAllTx reads up to limit events of the log from position from,
// inclusive, in direction dir.
func readAllTx(tx *bbolt.Tx, dir eventstore.Direction, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	c := tx.Bucket(bucketLog).Cursor()
	k, v := c.Seek(positionKey(nil, from))
	if dir == eventstore.Backwards {
		if k == nil {
			k, v = c.Last()
		} else if decodeUint64(k) > from {
			k, v = c.Prev()
		}
	}
	// The log's length after from is unknown, and most reads (a projector's
	// idle tick) find an event or two: start small and let append grow.
	events := make([]eventstore.RecordedEvent, 0, min(limit, 16))
	dec := newDecoder()
	for k != nil && len(events) < limit {
		events = append(events, eventstore.RecordedEvent{})
		if err := dec.decode(decodeUint64(k), v, &events[len(events)-1]); err != nil {
			return nil, err
		}
		if dir == eventstore.Backwards {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return events, nil
}
