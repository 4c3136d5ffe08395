package embedded

import (
	"context"
	"fmt"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// DeleteStream implements eventstore.Store. It soft-deletes the stream:
// reads answer eventstore.ErrStreamNotFound, the events stay in the global
// log, and a later Append with Any or NoStream recreates the stream with
// revisions continuing after the deleted ones. Metadata is kept. Deleting a
// stream without events succeeds if expected allows it and changes nothing.
//
// The returned position is the last position of the global log when the
// delete committed; the delete itself is not a log record.
func (s *Store) DeleteStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	if err := validateStreamName(stream); err != nil {
		return eventstore.Position{}, fmt.Errorf("delete stream %q: %w", stream, err)
	}
	res, err := s.submit(ctx, &deleteOp{stream: stream, expected: expected})
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("delete stream %q: %w", stream, err)
	}
	return res.Position, nil
}

// TombstoneStream implements eventstore.Store. It removes the stream's
// events from the file (positions of other events do not change), drops its
// metadata, and makes every later read, append, delete and metadata call on
// the name answer eventstore.ErrStreamDeleted. A stream that never existed
// can be tombstoned too.
//
// bbolt frees the pages that held the events but does not overwrite them;
// their bytes remain in the file's free space until reused.
//
// The returned position is the last position of the global log when the
// tombstone committed.
func (s *Store) TombstoneStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	if err := validateStreamName(stream); err != nil {
		return eventstore.Position{}, fmt.Errorf("tombstone stream %q: %w", stream, err)
	}
	res, err := s.submit(ctx, &tombstoneOp{stream: stream, expected: expected})
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("tombstone stream %q: %w", stream, err)
	}
	return res.Position, nil
}

// deleteOp is a DeleteStream request.
type deleteOp struct {
	stream   string
	expected eventstore.ExpectedRevision
}

func (o *deleteOp) apply(b *batch) (outcome, error) {
	st, refused, err := deletable(b, o.stream, o.expected)
	if err != nil || refused != nil {
		return derefOutcome(refused), err
	}
	if st.current() != eventstore.NoRevision {
		st.visibleFrom = st.next
		b.markDirty(st)
	}
	return outcome{result: eventstore.AppendResult{Position: position(b.seq)}}, nil
}

// deletable loads a stream's state for a delete or tombstone, or returns
// the outcome that refuses it: the stream is tombstoned, or expected does
// not hold.
func deletable(b *batch, stream string, expected eventstore.ExpectedRevision) (*batchState, *outcome, error) {
	st, err := b.state(stream)
	if err != nil {
		return nil, nil, err
	}
	if st.tombstoned {
		return nil, &outcome{err: eventstore.ErrStreamDeleted}, nil
	}
	if current := st.current(); !expected.Accepts(current) {
		return nil, &outcome{err: &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: current}}, nil
	}
	return st, nil, nil
}

func derefOutcome(o *outcome) outcome {
	if o == nil {
		return outcome{}
	}
	return *o
}

// tombstoneOp is a TombstoneStream request.
type tombstoneOp struct {
	stream   string
	expected eventstore.ExpectedRevision
}

func (o *tombstoneOp) apply(b *batch) (outcome, error) {
	st, refused, err := deletable(b, o.stream, o.expected)
	if err != nil || refused != nil {
		return derefOutcome(refused), err
	}
	if err := b.removeEvents(o.stream); err != nil {
		return outcome{}, err
	}
	st.streamState = streamState{next: st.next, visibleFrom: st.next, tombstoned: true}
	b.markDirty(st)
	return outcome{result: eventstore.AppendResult{Position: position(b.seq)}}, nil
}

// removeEvents deletes every event of stream from the log and the stream
// index.
func (b *batch) removeEvents(stream string) error {
	var keys [][]byte
	c := b.streams.Cursor()
	b.key = indexKey(b.key[:0], stream, 0)
	for k, v := c.Seek(b.key); k != nil; k, v = c.Next() {
		if _, ok := indexRevision(k, stream); !ok {
			break
		}
		// Keys and values point into the transaction's pages, which the
		// deletes below may change: keep copies.
		keys = append(keys, append([]byte(nil), k...), append([]byte(nil), v[:8]...))
	}
	for i := 0; i < len(keys); i += 2 {
		if err := b.streams.Delete(keys[i]); err != nil {
			return fmt.Errorf("stream %q: delete index entry: %w", stream, err)
		}
		if err := b.log.Delete(keys[i+1]); err != nil {
			return fmt.Errorf("stream %q: delete event: %w", stream, err)
		}
	}
	if len(keys) > 0 {
		b.dirty = true
	}
	return nil
}
