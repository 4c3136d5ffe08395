package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// ReadStream implements eventstore.Store. A stream that never existed or
// was soft-deleted answers eventstore.ErrStreamNotFound (the client reports
// it on the first Recv), a tombstoned one eventstore.ErrStreamDeleted.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	raw, err := s.readStreamRaw(ctx, stream, esdb.ReadStreamOptions{
		Direction: toDirection(opts.Direction),
		From:      toStreamPosition(opts.From),
	}, readCount(opts.Max))
	if err != nil {
		return nil, readError("read", stream, err)
	}
	out := make([]eventstore.RecordedEvent, len(raw))
	for i, e := range raw {
		out[i] = fromRecordedEvent(e)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. EventStoreDB's own events are left
// out; the read goes on until opts.Max other events are found or the log
// ends, so a short page still means the end of the log.
//
// EventStoreDB reads $all backwards strictly before the given position while
// the port includes it: a backwards read from a position other than
// EndPosition first reads the event at that position forwards.
//
// Unlike the embedded store, EventStoreDB keeps the events of a tombstoned
// stream in $all until it scavenges them.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	max := int(readCount(opts.Max))
	dir := toDirection(opts.Direction)
	from := toAllPosition(opts.From)
	var (
		out  []eventstore.RecordedEvent
		last *eventstore.Position // the last event read, which a next page may repeat
	)
	if dir == esdb.Backwards && opts.From != eventstore.EndPosition {
		head, err := s.readAllRaw(ctx, esdb.Forwards, from, 1)
		if err != nil {
			return nil, fmt.Errorf("esdb: read $all: %w", err)
		}
		if len(head) == 1 && fromPosition(head[0].Position) == opts.From && !isSystemEvent(head[0]) {
			out = append(out, fromRecordedEvent(head[0]))
		}
		last = &opts.From
	}
	for len(out) < max {
		count := uint64(max - len(out))
		if last != nil {
			count++
		}
		page, err := s.readAllRaw(ctx, dir, from, count)
		if err != nil {
			return nil, fmt.Errorf("esdb: read $all: %w", err)
		}
		for _, e := range page {
			pos := fromPosition(e.Position)
			if last != nil && pos == *last {
				continue
			}
			last = &pos
			if !isSystemEvent(e) && len(out) < max {
				out = append(out, fromRecordedEvent(e))
			}
		}
		if uint64(len(page)) < count || last == nil {
			break
		}
		from = toAllPosition(*last)
	}
	return out, nil
}

// readStreamRaw reads one page of a stream as the client decodes it.
func (s *Store) readStreamRaw(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) ([]*esdb.RecordedEvent, error) {
	var out []*esdb.RecordedEvent
	err := s.do(ctx, true, func(c *esdb.Client) error {
		rs, err := c.ReadStream(ctx, stream, opts, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		out, err = drain(rs)
		return err
	})
	return out, err
}

// readAllRaw reads one page of $all as the client decodes it.
func (s *Store) readAllRaw(ctx context.Context, dir esdb.Direction, from esdb.AllPosition, count uint64) ([]*esdb.RecordedEvent, error) {
	var out []*esdb.RecordedEvent
	err := s.do(ctx, true, func(c *esdb.Client) error {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: dir, From: from}, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		out, err = drain(rs)
		return err
	})
	return out, err
}

// drain receives every event of a read. A read's errors, a missing stream's
// included, arrive on Recv.
func drain(rs *esdb.ReadStream) ([]*esdb.RecordedEvent, error) {
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

// lastRevision returns the revision of the last event of stream, NoRevision
// if it has none or cannot be read.
func (s *Store) lastRevision(ctx context.Context, stream string) int64 {
	raw, err := s.readStreamRaw(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil || len(raw) == 0 {
		return eventstore.NoRevision
	}
	return int64(raw[0].EventNumber)
}

// lastPosition returns the position of the last event of the global log,
// EventStoreDB's own events included; StartPosition if the log is empty.
func (s *Store) lastPosition(ctx context.Context) (eventstore.Position, error) {
	raw, err := s.readAllRaw(ctx, esdb.Backwards, esdb.End{}, 1)
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("read the end of $all: %w", err)
	}
	if len(raw) == 0 {
		return eventstore.StartPosition, nil
	}
	return fromPosition(raw[0].Position), nil
}
