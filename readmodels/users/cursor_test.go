package users

import (
	"errors"
	"testing"
	"time"
)

var epochForTest = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{
		{SortName, false, "jose nunez\x00\x00\x00\x00\x01"},
		{SortEmail, true, "a@b\x00\x00\x01\x00\x00"},
		{SortCreated, false, ms6(epochForTest) + num4(7)},
		{SortLastLogin, true, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09"},
		{SortStatus, false, "active\x00jane doe\x00\x00\x00\x00\x02"},
	} {
		got, err := decodeCursor(encodeCursor(c))
		if err != nil || got != c {
			t.Errorf("round trip of %+v: %+v, %v", c, got, err)
		}
	}
}

func TestCursorRejectsMalformed(t *testing.T) {
	bad := []string{
		"", "!", "AQ", // too short
		encodeCursor(cursor{SortName, false, "no separator"}),
		encodeCursor(cursor{SortName, false, "two\x00nul\x00\x00\x00\x00\x01"}),
		encodeCursor(cursor{SortCreated, false, "short"}),
		encodeCursor(cursor{SortStatus, false, "\x00name\x00\x00\x00\x00\x01"}),
		encodeCursor(cursor{SortStatus, false, "active"}),
	}
	for _, s := range bad {
		if _, err := decodeCursor(s); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("decodeCursor(%q): %v, want ErrInvalidCursor", s, err)
		}
	}
}
