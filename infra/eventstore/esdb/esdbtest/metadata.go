package esdbtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// EventStoreDB keeps a stream's metadata in the stream "$$<stream>", as
// events of this type.
const (
	metadataStreamPrefix = "$$"
	metadataEventType    = "$metadata"
)

// metadataTarget returns the stream whose metadata stream is name.
func metadataTarget(name string) (string, bool) {
	target, ok := strings.CutPrefix(name, metadataStreamPrefix)
	return target, ok && target != ""
}

// metadataJSON is the part of EventStoreDB's metadata document the port
// knows; other properties ($acl, $cacheControl, custom ones) are ignored.
type metadataJSON struct {
	MaxAge         *uint64 `json:"$maxAge,omitempty"` // seconds
	MaxCount       *uint64 `json:"$maxCount,omitempty"`
	TruncateBefore *uint64 `json:"$tb,omitempty"`
}

func decodeMetadata(data []byte) (eventstore.StreamMetadata, error) {
	var doc metadataJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		return eventstore.StreamMetadata{}, fmt.Errorf("metadata document: %w", err)
	}
	var m eventstore.StreamMetadata
	if doc.MaxAge != nil {
		m.MaxAge = time.Duration(*doc.MaxAge) * time.Second
	}
	if doc.MaxCount != nil {
		m.MaxCount = *doc.MaxCount
	}
	m.TruncateBefore = doc.TruncateBefore
	return m, nil
}

func encodeMetadata(m eventstore.StreamMetadata) ([]byte, error) {
	var doc metadataJSON
	if m.MaxAge > 0 {
		secs := uint64(m.MaxAge / time.Second)
		doc.MaxAge = &secs
	}
	if m.MaxCount > 0 {
		doc.MaxCount = &m.MaxCount
	}
	doc.TruncateBefore = m.TruncateBefore
	return json.Marshal(doc)
}

// setMetadata serves an append of one "$metadata" event to "$$<target>" by
// replacing target's metadata in the backend.
func (s *streams) setMetadata(ctx context.Context, target string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if len(events) != 1 || events[0].Type != metadataEventType {
		return eventstore.AppendResult{}, status.Errorf(codes.InvalidArgument,
			"esdbtest: a metadata stream takes exactly one %q event per append", metadataEventType)
	}
	m, err := decodeMetadata(events[0].Data)
	if err != nil {
		return eventstore.AppendResult{}, status.Error(codes.InvalidArgument, err.Error())
	}
	return s.backend.SetStreamMetadata(ctx, target, expected, m)
}

// metadataEvent presents target's current metadata as the last event of
// its metadata stream. The backend keeps no history: earlier revisions
// cannot be read.
func (s *streams) metadataEvent(ctx context.Context, target string) (eventstore.RecordedEvent, error) {
	m, rev, err := s.backend.StreamMetadata(ctx, target)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	data, err := encodeMetadata(m)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	stream := metadataStreamPrefix + target
	return eventstore.RecordedEvent{
		ID:          uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "esdbtest:%s@%d", stream, rev)),
		Stream:      stream,
		Revision:    rev,
		Type:        metadataEventType,
		ContentType: eventstore.ContentTypeJSON,
		Data:        data,
		Created:     time.Now(),
	}, nil
}
