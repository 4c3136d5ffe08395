package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"go.etcd.io/bbolt"
)

// ReadStream implements eventstore.Store. It reads one consistent snapshot
// and hides what the stream's metadata hides: revisions below
// TruncateBefore, all but the newest MaxCount events, and events older than
// MaxAge. A read that starts past the end, or whose events are all hidden,
// returns an empty slice and no error.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if err := validateStreamName(stream); err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, err)
	}
	limit := opts.Max
	if limit <= 0 {
		limit = eventstore.DefaultMaxCount
	}
	var events []eventstore.RecordedEvent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		st, err := loadState(tx, stream)
		switch {
		case err != nil:
			return err
		case st.tombstoned:
			return eventstore.ErrStreamDeleted
		case st.current() == eventstore.NoRevision:
			return eventstore.ErrStreamNotFound
		}
		events, err = readStreamTx(tx, stream, &st, opts.Direction, opts.From, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, err)
	}
	return events, nil
}

// readStreamTx reads up to limit readable events of stream starting at
// revision from.
func readStreamTx(tx *bbolt.Tx, stream string, st *streamState, dir eventstore.Direction, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	lo, hi := st.firstReadable(), st.next-1
	oldest := st.oldestReadable(time.Now())
	var n uint64 // events in range, an upper bound for the result
	if dir == eventstore.Backwards {
		from = min(from, hi)
		if from < lo {
			return []eventstore.RecordedEvent{}, nil
		}
		n = from - lo + 1
	} else {
		from = max(from, lo)
		if from > hi {
			return []eventstore.RecordedEvent{}, nil
		}
		n = hi - from + 1
	}
	events := make([]eventstore.RecordedEvent, 0, min(n, uint64(limit)))

	logBucket := tx.Bucket(bucketLog)
	c := tx.Bucket(bucketStreams).Cursor()
	dec := newDecoder()
	var logKey []byte
	k, v := c.Seek(indexKey(nil, stream, from))
	for len(events) < limit {
		rev, ok := indexRevision(k, stream)
		if !ok || rev < lo || rev > hi {
			break
		}
		pos := decodeUint64(v[:8])
		logKey = positionKey(logKey[:0], pos)
		rec := logBucket.Get(logKey)
		if rec == nil {
			return nil, fmt.Errorf("revision %d: event at position %d missing", rev, pos)
		}
		if oldest.IsZero() || !recordCreatedBefore(rec, oldest) {
			events = append(events, eventstore.RecordedEvent{})
			if err := dec.decode(pos, rec, &events[len(events)-1]); err != nil {
				return nil, err
			}
		}
		if dir == eventstore.Backwards {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return events, nil
}
