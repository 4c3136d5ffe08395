package org

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/clarynext/usermgmt/domain"
)

// MaxNameLength bounds organization and team names, in characters (runes).
const MaxNameLength = 100

// cleanName trims a required one-line name and puts it in Unicode NFC, so
// the same visible name is always stored as the same bytes.
func cleanName(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", domain.Invalid(field, domain.CodeInvalid, "must be valid UTF-8 text")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	switch {
	case s == "":
		return "", domain.Invalid(field, domain.CodeRequired, "name is required")
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", domain.Invalid(field, domain.CodeInvalid, "must not contain control characters")
	case strings.ContainsFunc(s, domain.Hidden):
		return "", domain.Invalid(field, domain.CodeInvalid, "must not contain invisible formatting characters")
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return "", domain.Invalid(field, domain.CodeTooLong, fmt.Sprintf("must be at most %d characters, is %d", MaxNameLength, n))
	}
	return s, nil
}

// foldName is the form in which team names are compared for uniqueness:
// Unicode case folding of the NFC name, so "Ops", "OPS" and "ops" clash.
func foldName(s string) string { return cases.Fold().String(s) }

// eventTime is the time stamped on new events: UTC and without the
// monotonic clock reading, so an event equals itself after a JSON round
// trip.
func eventTime(now time.Time) time.Time { return now.Round(0).UTC() }
