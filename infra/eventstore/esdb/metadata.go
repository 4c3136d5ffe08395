package esdb

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// SetStreamMetadata implements eventstore.Store. EventStoreDB keeps metadata
// as "$metadata" events in the stream "$$<stream>"; expected and the result
// are revisions of that stream.
//
// The event is appended directly rather than through the client's
// SetStreamMetadata, which gives it a random ID on every call: a fixed ID
// keeps the retry after an unavailable node idempotent.
func (s *Store) SetStreamMetadata(ctx context.Context, stream string, expected eventstore.ExpectedRevision, meta eventstore.StreamMetadata) (eventstore.AppendResult, error) {
	if stream == "" {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: set metadata: empty stream name: %w", eventstore.ErrInvalidEvent)
	}
	m := toStreamMetadata(meta)
	data, err := m.ToJson()
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: set metadata %q: encode: %w", stream, err)
	}
	target := metadataStreamPrefix + stream
	res, err := s.appendRaw(ctx, target, expected, []esdb.EventData{{
		EventID:     uuid.New(),
		EventType:   metadataEventType,
		ContentType: esdb.ContentTypeJson,
		Data:        data,
	}})
	if err != nil {
		return eventstore.AppendResult{}, s.writeError(ctx, "set metadata", stream, target, expected, err)
	}
	return res, nil
}

// StreamMetadata implements eventstore.Store by reading the last event of
// "$$<stream>". The client's GetStreamMetadata does not serve: it drops the
// metadata revision and answers an empty metadata stream with empty metadata
// and no error.
func (s *Store) StreamMetadata(ctx context.Context, stream string) (eventstore.StreamMetadata, uint64, error) {
	raw, err := s.readStreamRaw(ctx, metadataStreamPrefix+stream, esdb.ReadStreamOptions{
		Direction: esdb.Backwards,
		From:      esdb.End{},
	}, 1)
	if err != nil {
		return eventstore.StreamMetadata{}, 0, readError("read metadata", stream, err)
	}
	if len(raw) == 0 {
		return eventstore.StreamMetadata{}, 0, fmt.Errorf("esdb: read metadata %q: %w", stream, eventstore.ErrStreamNotFound)
	}
	m, err := esdb.StreamMetadataFromJson(raw[0].Data)
	if err != nil {
		return eventstore.StreamMetadata{}, 0, fmt.Errorf("esdb: read metadata %q: decode: %w", stream, err)
	}
	return fromStreamMetadata(m), raw[0].EventNumber, nil
}
