package esdb

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Append implements eventstore.Store. Events must have an ID and a type and
// a content type of application/json (the default) or
// application/octet-stream, the only two the client can send.
//
// An append that met an unavailable node is sent once more: EventStoreDB
// recognises the event IDs and does not store the events twice. A retry
// answers the original result, position included.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := validateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append %q: %w", stream, err)
	}
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		d, err := toEventData(e)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append %q: event %d: %w", stream, i, err)
		}
		data[i] = d
	}
	res, err := s.appendRaw(ctx, stream, expected, data)
	if err != nil {
		return eventstore.AppendResult{}, s.writeError(ctx, "append", stream, stream, expected, err)
	}
	return res, nil
}

// appendRaw appends events as the client takes them.
func (s *Store) appendRaw(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []esdb.EventData) (eventstore.AppendResult, error) {
	var res *esdb.WriteResult
	err := s.do(ctx, true, func(c *esdb.Client) error {
		var err error
		res, err = c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: toExpectedRevision(expected)}, events...)
		return err
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	out := eventstore.AppendResult{
		NextRevision: res.NextExpectedVersion,
		Position:     eventstore.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition},
	}
	if out.Position == (eventstore.Position{}) {
		out.Position = s.positionOf(ctx, stream, out.NextRevision, events[len(events)-1].EventID)
	}
	return out, nil
}

// positionOf returns the position of the event at revision rev of stream if
// its ID is id, else the zero Position.
//
// EventStoreDB answers an idempotent retry without a position, which the
// client reports as zero; the port promises the original result, whose
// position is that of the last event of the batch.
func (s *Store) positionOf(ctx context.Context, stream string, rev uint64, id uuid.UUID) eventstore.Position {
	raw, err := s.readStreamRaw(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(rev)}, 1)
	if err != nil || len(raw) == 0 || raw[0].EventID != id {
		return eventstore.Position{}
	}
	return fromPosition(raw[0].Position)
}
