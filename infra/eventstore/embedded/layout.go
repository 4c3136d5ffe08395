package embedded

import (
	"encoding/binary"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Bucket names and meta keys of the file format; see the package doc.
var (
	bucketMeta    = []byte("meta")
	bucketLog     = []byte("log")
	bucketStreams = []byte("streams")

	keyMagic   = []byte("magic")
	keyVersion = []byte("version")
	keySeq     = []byte("seq")
)

const (
	// magic identifies a file written by this package.
	magic = "clarynext-usermgmt-eventstore"
	// formatVersion is the version of the file layout this package reads
	// and writes.
	formatVersion uint32 = 1

	// indexSep follows the stream name in a stream-index key, stateSep in a
	// stream-state key.
	indexSep = 0x00
	stateSep = 0x01

	// maxKeySize is bbolt's key size limit; index keys are the stream name
	// plus 9 bytes.
	maxKeySize       = 32768
	maxStreamNameLen = maxKeySize - 9

	// indexValueLen is the size of a stream-index value: position and
	// event ID.
	indexValueLen = 8 + 16
)

// positionKey encodes a global position as a log key.
func positionKey(dst []byte, pos uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, pos)
}

// indexKey encodes the stream-index key of revision rev of stream.
func indexKey(dst []byte, stream string, rev uint64) []byte {
	dst = append(dst, stream...)
	dst = append(dst, indexSep)
	return binary.BigEndian.AppendUint64(dst, rev)
}

// stateKey encodes the key of stream's state record.
func stateKey(dst []byte, stream string) []byte {
	dst = append(dst, stream...)
	return append(dst, stateSep)
}

// indexRevision returns the revision of a stream-index key of stream, and
// false if key belongs to something else.
func indexRevision(key []byte, stream string) (uint64, bool) {
	if len(key) != len(stream)+9 || string(key[:len(stream)]) != stream || key[len(stream)] != indexSep {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[len(stream)+1:]), true
}

// position turns a log key into a Position; the embedded store's positions
// have Commit == Prepare.
func position(seq uint64) eventstore.Position {
	return eventstore.Position{Commit: seq, Prepare: seq}
}
