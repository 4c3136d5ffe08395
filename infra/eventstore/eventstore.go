// Package eventstore is the port to the system of record: an append-only
// store of event streams with a global, totally ordered log.
//
// The store carries bytes and envelopes, never domain types. Two adapters
// implement Store: embedded (a single bbolt file, the default) and esdb
// (EventStoreDB through its gRPC client). Both pass the contract suite in
// package storetest.
package eventstore

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ContentTypeJSON is the content type of JSON payloads, the default for
// EventData whose ContentType is empty.
const ContentTypeJSON = "application/json"

// ContentTypeBinary is the content type of opaque payloads (for example
// encrypted ones). EventStoreDB knows only these two content types.
const ContentTypeBinary = "application/octet-stream"

// Store is the contract every adapter fulfils.
//
// All methods are safe for concurrent use. Append is atomic: either every
// event of the call is stored, or none is.
type Store interface {
	// Append writes events to the end of a stream if the stream's current
	// revision matches expected. Retrying a successful append with the same
	// event IDs at the same expected revision succeeds again without storing
	// the events twice (idempotent append) and returns the original result.
	// A mismatch returns *WrongExpectedRevisionError; appending to a
	// tombstoned stream returns ErrStreamDeleted.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads up to opts.Max events of one stream. Forwards reads
	// start at opts.From (inclusive); backwards reads start at opts.From
	// (inclusive) and go down, with End meaning the last event. A stream
	// that never existed or was deleted answers ErrStreamNotFound;
	// a tombstoned stream answers ErrStreamDeleted.
	ReadStream(ctx context.Context, stream string, opts ReadStreamOptions) ([]RecordedEvent, error)

	// ReadAll reads up to opts.Max events of the global log starting at
	// opts.From, inclusive. Events of tombstoned streams may be left out
	// (the embedded store erases them at once; EventStoreDB when it
	// scavenges).
	ReadAll(ctx context.Context, opts ReadAllOptions) ([]RecordedEvent, error)

	// SubscribeToAll follows the global log. It first catches up from
	// opts.After (exclusive) and then delivers live events, strictly in
	// global order, each exactly once, with no gap at the switch. Only events
	// of streams whose name starts with one of opts.Prefixes are delivered
	// (all streams when Prefixes is empty). The subscription ends when ctx is
	// done or Close is called.
	SubscribeToAll(ctx context.Context, opts SubscribeOptions) (Subscription, error)

	// DeleteStream soft-deletes a stream: reads answer ErrStreamNotFound
	// until a later append recreates it, continuing its revisions.
	DeleteStream(ctx context.Context, stream string, expected ExpectedRevision) (Position, error)

	// TombstoneStream hard-deletes a stream for good: its events are removed,
	// reads and appends answer ErrStreamDeleted, and the name can never be
	// used again.
	TombstoneStream(ctx context.Context, stream string, expected ExpectedRevision) (Position, error)

	// SetStreamMetadata replaces a stream's metadata. expected applies to the
	// metadata's own revision sequence, not to the stream's.
	SetStreamMetadata(ctx context.Context, stream string, expected ExpectedRevision, meta StreamMetadata) (AppendResult, error)

	// StreamMetadata returns a stream's metadata and its metadata revision.
	// A stream without metadata answers the zero StreamMetadata and
	// ErrStreamNotFound.
	StreamMetadata(ctx context.Context, stream string) (StreamMetadata, uint64, error)

	// Close releases the store. Subscriptions end with ErrClosed.
	Close() error
}

// Subscription delivers events of a SubscribeToAll call.
type Subscription interface {
	// Recv blocks until the next event arrives, the subscription's context
	// is done, or the subscription fails. It is not safe for concurrent use.
	Recv() (RecordedEvent, error)
	// Close ends the subscription; a blocked Recv returns.
	Close() error
}

// EventData is an event to append.
type EventData struct {
	ID          uuid.UUID // must not be uuid.Nil; makes appends idempotent
	Type        string    // a stable, versioned type name, e.g. "user.created.v1"
	ContentType string    // ContentTypeJSON (the default) or ContentTypeBinary
	Data        []byte
	Metadata    []byte
}

// RecordedEvent is an event as stored.
type RecordedEvent struct {
	ID          uuid.UUID
	Stream      string
	Revision    uint64 // 0-based position inside its stream
	Position    Position
	Type        string
	ContentType string
	Data        []byte
	Metadata    []byte
	Created     time.Time
}

// AppendResult is the outcome of a successful Append.
type AppendResult struct {
	// NextRevision is the revision of the last event now in the stream; the
	// value to pass as Exact(NextRevision) to the next append.
	NextRevision uint64
	// Position is the global position of the last appended event.
	Position Position
}

// Position is a point in the global log. Positions of later events compare
// greater; they need not be dense (EventStoreDB's are byte offsets).
type Position struct {
	Commit  uint64
	Prepare uint64
}

// StartPosition is the position before the first event of the global log.
var StartPosition = Position{}

// EndPosition is the position after the last event of the global log; pass
// it to read backwards from the end.
var EndPosition = Position{Commit: ^uint64(0), Prepare: ^uint64(0)}

// Less reports whether p comes before q in the global log.
func (p Position) Less(q Position) bool {
	if p.Commit != q.Commit {
		return p.Commit < q.Commit
	}
	return p.Prepare < q.Prepare
}

// Direction of a read.
type Direction int

// Read directions.
const (
	Forwards Direction = iota
	Backwards
)

// End is the revision that stands for "the last event" in a backwards stream
// read.
const End = ^uint64(0)

// DefaultMaxCount is the page size of a read whose Max is zero.
const DefaultMaxCount = 4096

// ReadStreamOptions select a page of one stream.
type ReadStreamOptions struct {
	Direction Direction
	From      uint64 // inclusive; End for "the last event"
	Max       int    // 0 means DefaultMaxCount
}

// ReadAllOptions select a page of the global log.
type ReadAllOptions struct {
	Direction Direction
	From      Position // inclusive; EndPosition reads backwards from the end
	Max       int      // 0 means DefaultMaxCount
}

// SubscribeOptions configure SubscribeToAll.
type SubscribeOptions struct {
	// After is the last position already seen; delivery starts strictly
	// after it. StartPosition subscribes from the beginning.
	After Position
	// Prefixes filter by stream name; empty means every stream.
	Prefixes []string
}

// StreamMetadata are the per-stream settings the store enforces on reads.
type StreamMetadata struct {
	// MaxAge hides events older than this from reads; zero means no limit.
	MaxAge time.Duration `json:"maxAge,omitempty"`
	// MaxCount keeps only the newest MaxCount events visible; zero means no limit.
	MaxCount uint64 `json:"maxCount,omitempty"`
	// TruncateBefore hides events whose revision is lower; nil means none.
	TruncateBefore *uint64 `json:"truncateBefore,omitempty"`
}
