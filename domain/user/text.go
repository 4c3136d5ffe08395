package user

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/clarynext/usermgmt/domain"
)

// Length limits of free text, in characters (runes). They bound what one
// event and one read-model entry can hold.
const (
	MaxNameLength   = 100
	MaxReasonLength = 500
	MaxNoteLength   = 4000
)

// cleanText trims s and puts it in Unicode NFC, so that the same visible
// text is always stored and compared as the same bytes. It rejects control
// characters (multiline allows line breaks and tabs), invisible formatting
// characters (domain.Hidden) and text longer than
// max runes. Empty input is valid; callers decide whether it is required.
func cleanText(field, s string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", domain.Invalid(field, domain.CodeInvalid, "must be valid UTF-8 text")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return "", domain.Invalid(field, domain.CodeInvalid, "must not contain control characters")
		}
		if domain.Hidden(r) {
			return "", domain.Invalid(field, domain.CodeInvalid, fmt.Sprintf("must not contain invisible formatting characters (U+%04X)", r))
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", domain.Invalid(field, domain.CodeTooLong, fmt.Sprintf("must be at most %d characters, is %d", max, n))
	}
	return s, nil
}

// eventTime is the time stamped on new events: UTC and without the
// monotonic clock reading, so an event equals itself after a JSON round
// trip.
func eventTime(now time.Time) time.Time { return now.Round(0).UTC() }
