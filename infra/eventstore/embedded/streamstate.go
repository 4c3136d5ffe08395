package embedded

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// streamState is what the store knows about one stream besides its events.
// The zero value is a stream that never existed.
type streamState struct {
	// next is the revision the next appended event gets: the number of
	// events ever appended, soft-deleted ones included.
	next uint64
	// visibleFrom is the first revision not hidden by a soft delete;
	// revisions continue after a soft delete, so a recreated stream starts
	// here.
	visibleFrom uint64
	// tombstoned marks a hard-deleted stream; its events are gone.
	tombstoned bool
	// metaCount is the number of metadata writes; the metadata revision is
	// metaCount-1, and 0 means no metadata was ever set.
	metaCount uint64
	meta      eventstore.StreamMetadata
}

// current returns the last revision, NoRevision when the stream has no
// visible events.
func (s *streamState) current() int64 {
	if s.next == s.visibleFrom {
		return eventstore.NoRevision
	}
	return int64(s.next - 1)
}

// metaRevision returns the metadata revision, NoRevision when none was set.
func (s *streamState) metaRevision() int64 {
	return int64(s.metaCount) - 1
}

// firstReadable returns the lowest revision reads may return: soft deletes,
// TruncateBefore and MaxCount all raise it. MaxAge is applied per event.
func (s *streamState) firstReadable() uint64 {
	lo := s.visibleFrom
	if tb := s.meta.TruncateBefore; tb != nil && *tb > lo {
		lo = *tb
	}
	if mc := s.meta.MaxCount; mc > 0 && s.next > mc && s.next-mc > lo {
		lo = s.next - mc
	}
	return lo
}

// oldestReadable returns the creation time below which reads hide events,
// the zero time when MaxAge is unset.
func (s *streamState) oldestReadable(now time.Time) time.Time {
	if s.meta.MaxAge <= 0 {
		return time.Time{}
	}
	return now.Add(-s.meta.MaxAge)
}

const (
	stateTombstoned     = 1 << 0
	stateTruncateBefore = 1 << 1
)

// maxStateLen bounds the encoded size of a streamState.
const maxStateLen = 1 + 6*binary.MaxVarintLen64

var errCorruptState = errors.New("corrupt stream state")

func (s *streamState) encode(dst []byte) []byte {
	var flags byte
	if s.tombstoned {
		flags |= stateTombstoned
	}
	if s.meta.TruncateBefore != nil {
		flags |= stateTruncateBefore
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, s.next)
	dst = binary.AppendUvarint(dst, s.visibleFrom)
	dst = binary.AppendUvarint(dst, s.metaCount)
	dst = binary.AppendVarint(dst, int64(s.meta.MaxAge))
	dst = binary.AppendUvarint(dst, s.meta.MaxCount)
	if s.meta.TruncateBefore != nil {
		dst = binary.AppendUvarint(dst, *s.meta.TruncateBefore)
	}
	return dst
}

func decodeState(b []byte) (streamState, error) {
	var s streamState
	if len(b) == 0 {
		return s, errCorruptState
	}
	flags := b[0]
	b = b[1:]
	var maxAge int64
	var ok bool
	if s.next, b, ok = uvarint(b); !ok {
		return s, errCorruptState
	}
	if s.visibleFrom, b, ok = uvarint(b); !ok {
		return s, errCorruptState
	}
	if s.metaCount, b, ok = uvarint(b); !ok {
		return s, errCorruptState
	}
	n := 0
	if maxAge, n = binary.Varint(b); n <= 0 {
		return s, errCorruptState
	}
	b = b[n:]
	s.meta.MaxAge = time.Duration(maxAge)
	if s.meta.MaxCount, b, ok = uvarint(b); !ok {
		return s, errCorruptState
	}
	if flags&stateTruncateBefore != 0 {
		var tb uint64
		if tb, _, ok = uvarint(b); !ok {
			return s, errCorruptState
		}
		s.meta.TruncateBefore = &tb
	}
	s.tombstoned = flags&stateTombstoned != 0
	return s, nil
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}
