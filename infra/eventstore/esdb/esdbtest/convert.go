package esdbtest

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// The system metadata keys of an event on the wire.
const (
	metaType        = "type"
	metaContentType = "content-type"
	metaCreated     = "created"
)

// uuidFromProto decodes an event ID sent either as two 64-bit halves or as
// a string.
func uuidFromProto(u *shared.UUID) (uuid.UUID, error) {
	if s := u.GetStructured(); s != nil {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(s.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(b[8:], uint64(s.GetLeastSignificantBits()))
		return uuid.UUID(b), nil
	}
	id, err := uuid.Parse(u.GetString_())
	if err != nil {
		return uuid.Nil, fmt.Errorf("event ID: %w", err)
	}
	return id, nil
}

// uuidToProto encodes an event ID the way the read asked for.
func uuidToProto(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// ticks renders t as EventStoreDB's "created" entry: .NET ticks (100ns)
// since the Unix epoch, in decimal.
func ticks(t time.Time) string {
	return strconv.FormatInt(t.UnixNano()/100, 10)
}

// eventFromProposed decodes an event to append. Like EventStoreDB, it
// requires the "type" and "content-type" entries.
func eventFromProposed(m *api.AppendReq_ProposedMessage) (eventstore.EventData, error) {
	for _, key := range []string{metaType, metaContentType} {
		if _, ok := m.GetMetadata()[key]; !ok {
			return eventstore.EventData{}, status.Errorf(codes.InvalidArgument, "Required Metadata Property '%s' is missing", key)
		}
	}
	id, err := uuidFromProto(m.GetId())
	if err != nil {
		return eventstore.EventData{}, status.Error(codes.InvalidArgument, err.Error())
	}
	return eventstore.EventData{
		ID:          id,
		Type:        m.GetMetadata()[metaType],
		ContentType: m.GetMetadata()[metaContentType],
		Data:        m.GetData(),
		Metadata:    m.GetCustomMetadata(),
	}, nil
}

// eventResp encodes a stored event as a read or subscription answer.
func eventResp(e eventstore.RecordedEvent, stringIDs bool) *api.ReadResp {
	contentType := e.ContentType
	if contentType == "" {
		contentType = eventstore.ContentTypeJSON
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               uuidToProto(e.ID, stringIDs),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.Stream)},
			StreamRevision:   e.Revision,
			PreparePosition:  e.Position.Prepare,
			CommitPosition:   e.Position.Commit,
			Metadata: map[string]string{
				metaType:        e.Type,
				metaContentType: contentType,
				metaCreated:     ticks(e.Created),
			},
			CustomMetadata: e.Metadata,
			Data:           e.Data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.Position.Commit},
	}}}
}

func streamNotFoundResp(stream string) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)},
	}}}
}

func checkpointResp(p eventstore.Position) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition:  p.Commit,
		PreparePosition: p.Prepare,
	}}}
}

// expectedVersion renders expected as EventStoreDB numbers it in messages
// and trailers: -2 any, -1 no stream, -4 stream exists, else the revision.
func expectedVersion(expected eventstore.ExpectedRevision) int64 {
	switch {
	case expected.IsNoStream():
		return -1
	case expected.IsStreamExists():
		return -4
	}
	if rev, ok := expected.Exact(); ok {
		return int64(rev)
	}
	return -2
}

func expectedFromAppend(o *api.AppendReq_Options) eventstore.ExpectedRevision {
	switch r := o.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		return eventstore.Exact(r.Revision)
	case *api.AppendReq_Options_NoStream:
		return eventstore.NoStream()
	case *api.AppendReq_Options_StreamExists:
		return eventstore.StreamExists()
	}
	return eventstore.Any()
}

func expectedFromDelete(o *api.DeleteReq_Options) eventstore.ExpectedRevision {
	switch r := o.GetExpectedStreamRevision().(type) {
	case *api.DeleteReq_Options_Revision:
		return eventstore.Exact(r.Revision)
	case *api.DeleteReq_Options_NoStream:
		return eventstore.NoStream()
	case *api.DeleteReq_Options_StreamExists:
		return eventstore.StreamExists()
	}
	return eventstore.Any()
}

func expectedFromTombstone(o *api.TombstoneReq_Options) eventstore.ExpectedRevision {
	switch r := o.GetExpectedStreamRevision().(type) {
	case *api.TombstoneReq_Options_Revision:
		return eventstore.Exact(r.Revision)
	case *api.TombstoneReq_Options_NoStream:
		return eventstore.NoStream()
	case *api.TombstoneReq_Options_StreamExists:
		return eventstore.StreamExists()
	}
	return eventstore.Any()
}
