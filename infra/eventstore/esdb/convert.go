package esdb

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// contentTypeBinary is the only content type besides JSON that the client
// can send: it maps every esdb.ContentTypeBinary event to it.
const contentTypeBinary = "application/octet-stream"

// metadataStreamPrefix names the stream EventStoreDB keeps a stream's
// metadata in: "$$" + stream.
const metadataStreamPrefix = "$$"

// metadataEventType is the type of the events of a metadata stream.
const metadataEventType = "$metadata"

// toExpectedRevision maps the port's optimistic-concurrency condition to the
// client's.
func toExpectedRevision(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	if rev, ok := e.Exact(); ok {
		return esdb.Revision(rev)
	}
	return esdb.Any{}
}

// toStreamPosition maps a revision of a stream read; eventstore.End stands
// for the last event.
func toStreamPosition(rev uint64) esdb.StreamPosition {
	if rev == eventstore.End {
		return esdb.End{}
	}
	return esdb.Revision(rev)
}

// toAllPosition maps a position of the global log: StartPosition and
// EndPosition become the client's Start and End markers.
func toAllPosition(p eventstore.Position) esdb.AllPosition {
	switch p {
	case eventstore.StartPosition:
		return esdb.Start{}
	case eventstore.EndPosition:
		return esdb.End{}
	}
	return esdb.Position{Commit: p.Commit, Prepare: p.Prepare}
}

func fromPosition(p esdb.Position) eventstore.Position {
	return eventstore.Position{Commit: p.Commit, Prepare: p.Prepare}
}

func toDirection(d eventstore.Direction) esdb.Direction {
	if d == eventstore.Backwards {
		return esdb.Backwards
	}
	return esdb.Forwards
}

// readCount is the number of events a read asks for.
func readCount(max int) uint64 {
	if max <= 0 {
		return eventstore.DefaultMaxCount
	}
	return uint64(max)
}

// validateAppend enforces what the port requires of an append before
// anything reaches the server. The client would otherwise replace a nil
// event ID with a random one, which silently defeats idempotent retries.
func validateAppend(stream string, events []eventstore.EventData) error {
	if stream == "" {
		return fmt.Errorf("empty stream name: %w", eventstore.ErrInvalidEvent)
	}
	if len(events) == 0 {
		return fmt.Errorf("no events: %w", eventstore.ErrInvalidEvent)
	}
	for i, e := range events {
		switch {
		case e.ID == uuid.Nil:
			return fmt.Errorf("event %d has no ID: %w", i, eventstore.ErrInvalidEvent)
		case e.Type == "":
			return fmt.Errorf("event %d has no type: %w", i, eventstore.ErrInvalidEvent)
		}
	}
	return nil
}

// toEventData maps an event to append. The client can only label an event
// JSON or binary (application/octet-stream); any other content type is
// rejected rather than silently relabelled.
func toEventData(e eventstore.EventData) (esdb.EventData, error) {
	var ct esdb.ContentType
	switch e.ContentType {
	case "", eventstore.ContentTypeJSON:
		ct = esdb.ContentTypeJson
	case contentTypeBinary:
		ct = esdb.ContentTypeBinary
	default:
		return esdb.EventData{}, fmt.Errorf("content type %q: EventStoreDB's client only sends %q or %q: %w",
			e.ContentType, eventstore.ContentTypeJSON, contentTypeBinary, eventstore.ErrInvalidEvent)
	}
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: ct,
		Data:        e.Data,
		Metadata:    e.Metadata,
	}, nil
}

// fromRecordedEvent maps an event as the client decoded it.
func fromRecordedEvent(e *esdb.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		ID:          e.EventID,
		Stream:      e.StreamID,
		Revision:    e.EventNumber,
		Position:    fromPosition(e.Position),
		Type:        e.EventType,
		ContentType: e.ContentType,
		Data:        e.Data,
		Metadata:    e.UserMetadata,
		Created:     e.CreatedDate,
	}
}

// isSystemEvent reports whether e is one of EventStoreDB's own events
// (stream metadata, tombstone markers, statistics, links, ...): their types
// start with "$". The port never surfaces them; the embedded store has none.
func isSystemEvent(e *esdb.RecordedEvent) bool {
	return strings.HasPrefix(e.EventType, "$")
}

// toStreamMetadata maps the port's metadata to EventStoreDB's. EventStoreDB
// keeps $maxAge in whole seconds: a MaxAge with a fraction of a second is
// rounded up, so that a limit never becomes "no limit".
func toStreamMetadata(m eventstore.StreamMetadata) esdb.StreamMetadata {
	var out esdb.StreamMetadata
	if m.MaxAge > 0 {
		out.SetMaxAge(time.Duration(math.Ceil(m.MaxAge.Seconds())) * time.Second)
	}
	if m.MaxCount > 0 {
		out.SetMaxCount(m.MaxCount)
	}
	if m.TruncateBefore != nil {
		out.SetTruncateBefore(*m.TruncateBefore)
	}
	return out
}

// fromStreamMetadata maps EventStoreDB's metadata back; ACLs, cache control
// and custom properties have no place in the port and are dropped.
func fromStreamMetadata(m *esdb.StreamMetadata) eventstore.StreamMetadata {
	var out eventstore.StreamMetadata
	if v := m.MaxAge(); v != nil {
		out.MaxAge = *v
	}
	if v := m.MaxCount(); v != nil {
		out.MaxCount = *v
	}
	if v := m.TruncateBefore(); v != nil {
		tb := *v
		out.TruncateBefore = &tb
	}
	return out
}
