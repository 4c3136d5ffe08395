package users

import (
	"encoding/base64"
	"strings"
)

// A cursor is a keyset position: the sort-index member of the last user of
// a page, so the next page starts strictly after it whatever was inserted
// or removed meanwhile. Encoded as base64url (no padding) of
//
//	version (1) | sort field (1) | descending (1) | position
//
// where position is a member of the sort's index ("<folded>\x00<num4>" for
// name and email, "<ms6><num4>" for times) or, for the status sort,
// "<status>\x00" followed by a name-index member.
const cursorVersion = 1

// maxCursorBytes bounds a cursor's encoded length.
const maxCursorBytes = 2048

var sortCodes = map[SortField]byte{
	SortName: 'n', SortEmail: 'e', SortCreated: 'c', SortLastLogin: 'l', SortStatus: 's',
}

type cursor struct {
	sort SortField
	desc bool
	pos  string
}

func encodeCursor(c cursor) string {
	desc := byte(0)
	if c.desc {
		desc = 1
	}
	b := append([]byte{cursorVersion, sortCodes[c.sort], desc}, c.pos...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor; every failure is an ErrInvalidCursor.
func decodeCursor(s string) (cursor, error) {
	if len(s) > maxCursorBytes {
		return cursor{}, cursorError("longer than %d bytes", maxCursorBytes)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, cursorError("not base64url")
	}
	if len(b) < 4 || b[0] != cursorVersion || b[2] > 1 {
		return cursor{}, cursorError("malformed")
	}
	c := cursor{desc: b[2] == 1, pos: string(b[3:])}
	for f, code := range sortCodes {
		if code == b[1] {
			c.sort = f
		}
	}
	if c.sort == "" || !validPosition(c.sort, c.pos) {
		return cursor{}, cursorError("malformed")
	}
	return c, nil
}

// validPosition checks that pos has the shape of a member of sort's index.
func validPosition(sort SortField, pos string) bool {
	textMember := func(p string) bool {
		return len(p) >= 5 && p[len(p)-5] == 0 && !strings.ContainsRune(p[:len(p)-5], 0)
	}
	switch sort {
	case SortName, SortEmail:
		return textMember(pos)
	case SortCreated, SortLastLogin:
		return len(pos) == 10
	case SortStatus:
		status, name, ok := strings.Cut(pos, "\x00")
		return ok && status != "" && textMember(name)
	}
	return false
}
