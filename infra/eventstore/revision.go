package eventstore

import "fmt"

type expectedKind uint8

const (
	kindAny expectedKind = iota
	kindNoStream
	kindStreamExists
	kindExact
)

// ExpectedRevision is the optimistic-concurrency condition of a write.
// The zero value is Any.
type ExpectedRevision struct {
	kind expectedKind
	rev  uint64
}

// Any accepts the write whatever the stream's state.
func Any() ExpectedRevision { return ExpectedRevision{kind: kindAny} }

// NoStream accepts the write only if the stream does not exist (or was
// soft-deleted).
func NoStream() ExpectedRevision { return ExpectedRevision{kind: kindNoStream} }

// StreamExists accepts the write only if the stream has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: kindStreamExists} }

// Exact accepts the write only if the stream's last event has revision rev.
func Exact(rev uint64) ExpectedRevision { return ExpectedRevision{kind: kindExact, rev: rev} }

// IsAny reports whether e is Any.
func (e ExpectedRevision) IsAny() bool { return e.kind == kindAny }

// IsNoStream reports whether e is NoStream.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == kindNoStream }

// IsStreamExists reports whether e is StreamExists.
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == kindStreamExists }

// Exact returns the revision of an Exact condition and true, or 0 and false.
func (e ExpectedRevision) Exact() (uint64, bool) { return e.rev, e.kind == kindExact }

// Accepts reports whether a stream whose last revision is current (NoRevision
// when the stream does not exist) satisfies e.
func (e ExpectedRevision) Accepts(current int64) bool {
	switch e.kind {
	case kindNoStream:
		return current == NoRevision
	case kindStreamExists:
		return current != NoRevision
	case kindExact:
		return current >= 0 && uint64(current) == e.rev
	default:
		return true
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case kindNoStream:
		return "no stream"
	case kindStreamExists:
		return "stream exists"
	case kindExact:
		return fmt.Sprintf("revision %d", e.rev)
	default:
		return "any"
	}
}

// NoRevision is the current revision of a stream that has no events.
const NoRevision int64 = -1
