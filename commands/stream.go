package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// EventStore is what command handlers need of the event store.
type EventStore interface {
	Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error)
	ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error)
}

// Result is what a command answers: the stream's revision after it (the
// ETag) and the global position of its last event, which a query can pass
// back as min_position to read its own write. Appended is false when the
// command changed nothing; Position is then zero.
type Result struct {
	ID       uuid.UUID
	Revision uint64
	Position eventstore.Position
	Appended bool
}

// streams reads and writes domain events of one kind of stream.
type streams struct {
	store EventStore
	codec *domain.Codec
	now   func() time.Time
}

// load reads a whole stream and decodes it. revision is NoRevision when the
// stream does not exist.
func (s streams) load(ctx context.Context, stream string) (events []domain.Event, revision int64, err error) {
	revision = eventstore.NoRevision
	var from uint64
	for {
		page, err := s.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, eventstore.NoRevision, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, rec := range page {
			e, err := s.codec.Unmarshal(rec.Type, rec.Data)
			if err != nil {
				return nil, 0, fmt.Errorf("read %s at revision %d: %w", stream, rec.Revision, err)
			}
			events = append(events, e)
			revision = int64(rec.Revision)
		}
		if len(page) < eventstore.DefaultMaxCount {
			return events, revision, nil
		}
		from = uint64(revision) + 1
	}
}

// append encodes events with md and appends them at expected.
func (s streams) append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, md Metadata, events []domain.Event) (eventstore.AppendResult, error) {
	meta, err := md.encode(s.now())
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("encode metadata: %w", err)
	}
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, payload, err := s.codec.Marshal(e)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		data[i] = eventstore.EventData{ID: uuid.New(), Type: typ, Data: payload, Metadata: meta}
	}
	res, err := s.store.Append(ctx, stream, expected, data...)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	return res, nil
}

// expectedAt is the condition for appending after revision rev (NoRevision:
// the stream must not exist).
func expectedAt(rev int64) eventstore.ExpectedRevision {
	if rev == eventstore.NoRevision {
		return eventstore.NoStream()
	}
	return eventstore.Exact(uint64(rev))
}
