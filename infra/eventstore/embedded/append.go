package embedded

import (
	"bytes"
	"context"
	"fmt"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/google/uuid"
	"go.etcd.io/bbolt"
)

// idempotencyWindow is how many of a stream's newest events an Any or
// StreamExists append searches for an earlier copy of itself.
const idempotencyWindow = 1000

// maxRecordSize keeps a record below bbolt's value size limit.
const maxRecordSize = 1<<31 - 2

// Append implements eventstore.Store. The events get consecutive revisions
// and consecutive global positions. Append returns after the batch holding
// it was fsynced; see the package doc for how concurrent appends share
// that work.
//
// If the events' IDs are already stored right after the expected revision
// (for Any and StreamExists: anywhere among the stream's newest 1,000
// events), Append writes nothing and returns the result of the earlier
// append. A retry that matches only partly fails with
// *eventstore.WrongExpectedRevisionError.
//
// ctx is honoured while the request waits in the writer's queue; once the
// writer has taken it, Append waits for the commit, so an error never
// hides a stored append.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := validateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w", stream, err)
	}
	res, err := s.submit(ctx, newAppendOp(stream, expected, events))
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w", stream, err)
	}
	return res, nil
}

func validateAppend(stream string, events []eventstore.EventData) error {
	if err := validateStreamName(stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("%w: no events", eventstore.ErrInvalidEvent)
	}
	for i := range events {
		ev := &events[i]
		switch {
		case ev.ID == uuid.Nil:
			return fmt.Errorf("%w: event %d has no ID", eventstore.ErrInvalidEvent, i)
		case ev.Type == "":
			return fmt.Errorf("%w: event %d (%s) has no type", eventstore.ErrInvalidEvent, i, ev.ID)
		case recordSize(stream, ev) > maxRecordSize:
			return fmt.Errorf("%w: event %d (%s) is larger than 2 GiB", eventstore.ErrInvalidEvent, i, ev.ID)
		}
	}
	return nil
}

func validateStreamName(stream string) error {
	switch {
	case stream == "":
		return fmt.Errorf("%w: empty stream name", eventstore.ErrInvalidEvent)
	case len(stream) > maxStreamNameLen:
		return fmt.Errorf("%w: stream name longer than %d bytes", eventstore.ErrInvalidEvent, maxStreamNameLen)
	case bytes.IndexByte([]byte(stream), 0) >= 0:
		return fmt.Errorf("%w: stream name contains a NUL byte", eventstore.ErrInvalidEvent)
	}
	return nil
}

// appendOp is an Append request.
type appendOp struct {
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	// records are the encoded events, prepared by the caller's goroutine
	// so the writer only stamps revision and time into them.
	records [][]byte
}

func newAppendOp(stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) *appendOp {
	size := 0
	for i := range events {
		size += recordSize(stream, &events[i])
	}
	buf := make([]byte, 0, size)
	records := make([][]byte, len(events))
	for i := range events {
		start := len(buf)
		buf = encodeRecord(buf, stream, &events[i])
		records[i] = buf[start:len(buf):len(buf)]
	}
	return &appendOp{stream: stream, expected: expected, events: events, records: records}
}

func (o *appendOp) apply(b *batch) (outcome, error) {
	st, err := b.state(o.stream)
	if err != nil {
		return outcome{}, err
	}
	if st.tombstoned {
		return outcome{err: eventstore.ErrStreamDeleted}, nil
	}
	current := st.current()
	if prev, retried := o.earlierCopy(b, &st.streamState, current); retried {
		if prev == nil {
			return outcome{err: o.wrongRevision(current)}, nil
		}
		return outcome{result: *prev}, nil
	}
	if !o.expected.Accepts(current) {
		return outcome{err: o.wrongRevision(current)}, nil
	}
	var pos uint64
	for i := range o.events {
		if pos, err = b.appendEvent(o.stream, st, o.events[i].ID, o.records[i]); err != nil {
			return outcome{}, err
		}
	}
	return outcome{result: eventstore.AppendResult{NextRevision: st.next - 1, Position: position(pos)}}, nil
}

func (o *appendOp) wrongRevision(current int64) error {
	return &eventstore.WrongExpectedRevisionError{Stream: o.stream, Expected: o.expected, Actual: current}
}

// earlierCopy decides whether o is a retry of an append that is already
// stored. retried is false when o is not a retry and should be checked and
// applied as usual. Otherwise prev is the original result, or nil if the
// stored events match o only partly.
func (o *appendOp) earlierCopy(b *batch, st *streamState, current int64) (prev *eventstore.AppendResult, retried bool) {
	c := b.streams.Cursor()
	switch rev, exact := o.expected.Exact(); {
	case exact:
		if current == int64(rev) {
			return nil, false
		}
		return o.storedAt(c, b, rev+1)
	case o.expected.IsNoStream():
		if current == eventstore.NoRevision {
			return nil, false
		}
		return o.storedAt(c, b, st.visibleFrom)
	default: // Any, StreamExists
		if current == eventstore.NoRevision {
			return nil, false
		}
		first, found := o.findInTail(c, b, st)
		if !found {
			return nil, false
		}
		return o.storedAt(c, b, first)
	}
}

// storedAt reports whether o's events are stored at revisions from,
// from+1, ... of the stream. It returns retried false when the first event
// is not there, and a nil result when only a prefix of o's events is.
func (o *appendOp) storedAt(c *bbolt.Cursor, b *batch, from uint64) (*eventstore.AppendResult, bool) {
	b.key = indexKey(b.key[:0], o.stream, from)
	k, v := c.Seek(b.key)
	var last []byte
	for i := range o.events {
		rev, ok := indexRevision(k, o.stream)
		if !ok || rev != from+uint64(i) || !bytes.Equal(v[8:indexValueLen], o.events[i].ID[:]) {
			if i == 0 {
				return nil, false
			}
			return nil, true
		}
		last = v
		k, v = c.Next()
	}
	return &eventstore.AppendResult{
		NextRevision: from + uint64(len(o.events)) - 1,
		Position:     position(decodeUint64(last[:8])),
	}, true
}

// findInTail searches the stream's newest idempotencyWindow visible events
// for the ID of o's first event and returns its revision.
func (o *appendOp) findInTail(c *bbolt.Cursor, b *batch, st *streamState) (uint64, bool) {
	// The state key sorts right after the stream's last index key.
	b.key = stateKey(b.key[:0], o.stream)
	k, v := c.Seek(b.key)
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	id := o.events[0].ID
	for n := 0; n < idempotencyWindow; n++ {
		rev, ok := indexRevision(k, o.stream)
		if !ok || rev < st.visibleFrom {
			return 0, false
		}
		if bytes.Equal(v[8:indexValueLen], id[:]) {
			return rev, true
		}
		k, v = c.Prev()
	}
	return 0, false
}
