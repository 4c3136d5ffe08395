package embedded

import (
	"context"
	"fmt"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"go.etcd.io/bbolt"
)

// SetStreamMetadata implements eventstore.Store. expected is checked
// against the metadata revision (NoRevision before the first write), and
// the result's NextRevision is the new metadata revision. Its Position is
// the last position of the global log when the write committed; metadata
// writes are not log records. Metadata may be set on a stream without
// events.
func (s *Store) SetStreamMetadata(ctx context.Context, stream string, expected eventstore.ExpectedRevision, meta eventstore.StreamMetadata) (eventstore.AppendResult, error) {
	if err := validateStreamName(stream); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("set metadata of %q: %w", stream, err)
	}
	if meta.TruncateBefore != nil {
		tb := *meta.TruncateBefore // do not share the caller's pointer
		meta.TruncateBefore = &tb
	}
	res, err := s.submit(ctx, &metadataOp{stream: stream, expected: expected, meta: meta})
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("set metadata of %q: %w", stream, err)
	}
	return res, nil
}

// StreamMetadata implements eventstore.Store. It answers the metadata of a
// soft-deleted stream too; a tombstoned stream answers
// eventstore.ErrStreamDeleted.
func (s *Store) StreamMetadata(ctx context.Context, stream string) (eventstore.StreamMetadata, uint64, error) {
	if err := validateStreamName(stream); err != nil {
		return eventstore.StreamMetadata{}, 0, fmt.Errorf("metadata of %q: %w", stream, err)
	}
	var st streamState
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		st, err = loadState(tx, stream)
		return err
	})
	switch {
	case err != nil:
	case st.tombstoned:
		err = eventstore.ErrStreamDeleted
	case st.metaCount == 0:
		err = eventstore.ErrStreamNotFound
	}
	if err != nil {
		return eventstore.StreamMetadata{}, 0, fmt.Errorf("metadata of %q: %w", stream, err)
	}
	return st.meta, st.metaCount - 1, nil
}

// metadataOp is a SetStreamMetadata request.
type metadataOp struct {
	stream   string
	expected eventstore.ExpectedRevision
	meta     eventstore.StreamMetadata
}

func (o *metadataOp) apply(b *batch) (outcome, error) {
	st, err := b.state(o.stream)
	if err != nil {
		return outcome{}, err
	}
	if st.tombstoned {
		return outcome{err: eventstore.ErrStreamDeleted}, nil
	}
	current := st.metaRevision()
	if !o.expected.Accepts(current) {
		return outcome{err: &eventstore.WrongExpectedRevisionError{Stream: o.stream, Expected: o.expected, Actual: current}}, nil
	}
	st.meta = o.meta
	st.metaCount++
	b.markDirty(st)
	return outcome{result: eventstore.AppendResult{NextRevision: st.metaCount - 1, Position: position(b.seq)}}, nil
}

// loadState reads a stream's state in a read transaction; a stream that
// never existed has the zero state.
func loadState(tx *bbolt.Tx, stream string) (streamState, error) {
	v := tx.Bucket(bucketStreams).Get(stateKey(nil, stream))
	if v == nil {
		return streamState{}, nil
	}
	st, err := decodeState(v)
	if err != nil {
		return streamState{}, fmt.Errorf("stream %q: %w", stream, err)
	}
	return st, nil
}
