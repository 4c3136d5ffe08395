package loginhistory

import (
	"encoding/base64"
	"encoding/binary"
)

// A cursor is the position of the last entry of a page, as 8 big-endian
// bytes in base64url without padding; the next page starts strictly below
// it. Clients treat it as opaque.

func encodeCursor(pos uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], pos)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeCursor parses a cursor; every failure is ErrInvalidCursor.
func decodeCursor(s string) (uint64, error) {
	if len(s) != base64.RawURLEncoding.EncodedLen(8) {
		return 0, ErrInvalidCursor
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, ErrInvalidCursor
	}
	return binary.BigEndian.Uint64(b), nil
}
