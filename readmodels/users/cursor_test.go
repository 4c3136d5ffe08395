package users

import (
	"errors"
	"testing"
	"time"
)

var epochForTest = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCursorRoundTrip(t *testing.T) {
	q := queryPrint([][]source{{{"g", "st:active"}}})
	for _, c := range []cursor{
		{SortName, false, q, "jose nunez\x00\x00\x00\x00\x01"},
		{SortEmail, true, q, "a@b\x00\x00\x01\x00\x00"},
		{SortCreated, false, q, ms6(epochForTest) + num4(7)},
		{SortLastLogin, true, q, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09"},
		{SortStatus, false, queryPrint(nil), "active\x00jane doe\x00\x00\x00\x00\x02"},
	} {
		got, err := decodeCursor(encodeCursor(c))
		if err != nil || got != c {
			t.Errorf("round trip of %+v: %+v, %v", c, got, err)
		}
	}
}

func TestQueryPrint(t *testing.T) {
	a, b, c := source{"g", "st:active"}, source{"g", "st:suspended"}, source{"p", "maria"}
	same := [][][]source{
		{{a, b}, {c}},
		{{b, a}, {c}},
		{{c}, {a, b}},
	}
	for _, fields := range same[1:] {
		if queryPrint(fields) != queryPrint(same[0]) {
			t.Errorf("queryPrint(%v) differs from queryPrint(%v): the order of fields and sources must not matter", fields, same[0])
		}
	}
	for _, fields := range [][][]source{nil, {{a}}, {{a}, {b}, {c}}, {{a, b, c}}, {{a, c}, {b}}, {{source{"p", "st:active"}}}} {
		if got := queryPrint(fields); got == queryPrint(same[0]) || len(got) != printBytes {
			t.Errorf("queryPrint(%v) = %x: want %d bytes, unlike %v's", fields, got, printBytes, same[0])
		}
	}
}

func TestCursorRejectsMalformed(t *testing.T) {
	bad := []string{
		"", "!", "AQ", // too short
		"AQZuYQBhYWFh", // version 1
		encodeCursor(cursor{SortName, false, "12345678", ""}),
		encodeCursor(cursor{SortName, false, "12345678", "no separator"}),
		encodeCursor(cursor{SortName, false, "12345678", "two\x00nul\x00\x00\x00\x00\x01"}),
		encodeCursor(cursor{SortCreated, false, "12345678", "short"}),
		encodeCursor(cursor{SortStatus, false, "12345678", "\x00name\x00\x00\x00\x00\x01"}),
		encodeCursor(cursor{SortStatus, false, "12345678", "active"}),
	}
	for _, s := range bad {
		if _, err := decodeCursor(s); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("decodeCursor(%q): %v, want ErrInvalidCursor", s, err)
		}
	}
}
