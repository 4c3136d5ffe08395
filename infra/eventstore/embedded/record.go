package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/google/uuid"
)

// An event record in the log bucket is
//
//	id           16 bytes
//	revision      8 bytes, big-endian
//	created       8 bytes, big-endian Unix nanoseconds (UTC)
//	len(stream)   uvarint, then the stream name
//	len(type)     uvarint, then the type
//	len(content)  uvarint, then the content type; 0 means ContentTypeJSON
//	len(data)     uvarint, then the data
//	metadata      the rest of the record
//
// The stream name comes early so subscriptions can filter by prefix without
// decoding the rest.
const recordHeaderLen = 16 + 8 + 8

var errCorruptRecord = errors.New("corrupt event record")

// recordSize returns the encoded size of ev in stream.
func recordSize(stream string, ev *eventstore.EventData) int {
	ct := contentTypeToStore(ev.ContentType)
	return recordHeaderLen +
		uvarintLen(len(stream)) + len(stream) +
		uvarintLen(len(ev.Type)) + len(ev.Type) +
		uvarintLen(len(ct)) + len(ct) +
		uvarintLen(len(ev.Data)) + len(ev.Data) +
		len(ev.Metadata)
}

// encodeRecord appends the record of ev in stream to dst, with revision
// and creation time left zero for stampRecord to fill in.
func encodeRecord(dst []byte, stream string, ev *eventstore.EventData) []byte {
	dst = append(dst, ev.ID[:]...)
	dst = append(dst, make([]byte, 16)...)
	dst = appendBytes(dst, stream)
	dst = appendBytes(dst, ev.Type)
	dst = appendBytes(dst, contentTypeToStore(ev.ContentType))
	dst = appendBytes(dst, ev.Data)
	return append(dst, ev.Metadata...)
}

// stampRecord sets the revision and creation time of an encoded record.
func stampRecord(rec []byte, rev uint64, created time.Time) {
	binary.BigEndian.PutUint64(rec[16:24], rev)
	binary.BigEndian.PutUint64(rec[24:32], uint64(created.UnixNano()))
}

// contentTypeToStore maps the default content type to the empty string,
// which the record stores in one byte.
func contentTypeToStore(ct string) string {
	if ct == eventstore.ContentTypeJSON {
		return ""
	}
	return ct
}

func appendBytes[T string | []byte](dst []byte, b T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func uvarintLen(n int) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// recordStream returns the stream name of a record without copying it.
func recordStream(rec []byte) ([]byte, error) {
	if len(rec) < recordHeaderLen {
		return nil, errCorruptRecord
	}
	name, _, err := readBytes(rec[recordHeaderLen:])
	return name, err
}

// recordID returns the event ID of a record.
func recordID(rec []byte) (uuid.UUID, error) {
	if len(rec) < recordHeaderLen {
		return uuid.Nil, errCorruptRecord
	}
	return uuid.UUID(rec[:16]), nil
}

// recordCreatedBefore reports whether the record was created before t.
func recordCreatedBefore(rec []byte, t time.Time) bool {
	return len(rec) >= recordHeaderLen && int64(binary.BigEndian.Uint64(rec[24:32])) < t.UnixNano()
}

// decoder turns records into RecordedEvents. It copies every byte it keeps
// out of rec, so the result outlives the bbolt transaction, and reuses
// stream and type strings across the records of one page. A decoder is not
// safe for concurrent use.
type decoder struct {
	names map[string]string
}

func newDecoder() *decoder {
	return &decoder{names: make(map[string]string)}
}

func (d *decoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	d.names[s] = s
	return s
}

// decode fills dst from the record stored at position pos.
func (d *decoder) decode(pos uint64, rec []byte, dst *eventstore.RecordedEvent) error {
	if len(rec) < recordHeaderLen {
		return fmt.Errorf("position %d: %w", pos, errCorruptRecord)
	}
	dst.ID = uuid.UUID(rec[:16])
	dst.Revision = binary.BigEndian.Uint64(rec[16:24])
	dst.Created = time.Unix(0, int64(binary.BigEndian.Uint64(rec[24:32]))).UTC()
	dst.Position = position(pos)
	rest := rec[recordHeaderLen:]
	stream, rest, err1 := readBytes(rest)
	typ, rest, err2 := readBytes(rest)
	ct, rest, err3 := readBytes(rest)
	data, rest, err4 := readBytes(rest)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("position %d: %w", pos, errCorruptRecord)
	}
	dst.Stream = d.intern(stream)
	dst.Type = d.intern(typ)
	dst.ContentType = eventstore.ContentTypeJSON
	if len(ct) > 0 {
		dst.ContentType = d.intern(ct)
	}
	dst.Data, dst.Metadata = copyPayload(data, rest)
	return nil
}

// copyPayload copies data and metadata into one allocation.
func copyPayload(data, meta []byte) ([]byte, []byte) {
	n := len(data) + len(meta)
	if n == 0 {
		return nil, nil
	}
	buf := make([]byte, n)
	copy(buf, data)
	copy(buf[len(data):], meta)
	var d, m []byte
	if len(data) > 0 {
		d = buf[:len(data):len(data)]
	}
	if len(meta) > 0 {
		m = buf[len(data):]
	}
	return d, m
}

func readBytes(b []byte) (field, rest []byte, err error) {
	n, l := binary.Uvarint(b)
	if l <= 0 || n > uint64(len(b)-l) {
		return nil, nil, errCorruptRecord
	}
	end := l + int(n)
	return b[l:end], b[end:], nil
}
