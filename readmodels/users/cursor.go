package users

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
)

// A cursor is a keyset position: the sort-index member of the last user of
// a page, so the next page starts strictly after it whatever was inserted
// or removed meanwhile. Encoded as base64url (no padding) of
//
//	version (1) | sort field (1) | descending (1) | query (8) | position
//
// where query is the fingerprint of the query's text and filters
// (queryPrint), so a cursor continues only the query that issued it (as
// Google's AIP-158 asks of page tokens), and position is a member of the
// sort's index ("<folded>\x00<num4>" for name and email, "<ms6><num4>" for
// times) or, for the status sort, "<status>\x00" followed by a name-index
// member. The page size may change from page to page.
const cursorVersion = 2

// printBytes is the length of a query fingerprint.
const printBytes = 8

// maxCursorBytes bounds a cursor's encoded length.
const maxCursorBytes = 2048

var sortCodes = map[SortField]byte{
	SortName: 'n', SortEmail: 'e', SortCreated: 'c', SortLastLogin: 'l', SortStatus: 's',
}

type cursor struct {
	sort  SortField
	desc  bool
	query string // queryPrint of the query that issued it
	pos   string
}

// queryPrint is the fingerprint of a query's AND-ed fields: the same for
// any order of the fields and of the sources within one.
func queryPrint(fields [][]source) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		srcs := make([]string, len(f))
		for j, src := range f {
			srcs[j] = src.kind + "\x00" + src.value
		}
		slices.Sort(srcs)
		parts[i] = strings.Join(srcs, "\x01")
	}
	slices.Sort(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x02")))
	return string(sum[:printBytes])
}

func encodeCursor(c cursor) string {
	desc := byte(0)
	if c.desc {
		desc = 1
	}
	b := append([]byte{cursorVersion, sortCodes[c.sort], desc}, c.query...)
	b = append(b, c.pos...)
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
	if len(b) > 0 && b[0] == 1 {
		return cursor{}, cursorError("issued by an earlier version of the service; start again from the first page")
	}
	if len(b) < 4+printBytes || b[0] != cursorVersion || b[2] > 1 {
		return cursor{}, cursorError("malformed")
	}
	c := cursor{desc: b[2] == 1, query: string(b[3 : 3+printBytes]), pos: string(b[3+printBytes:])}
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
