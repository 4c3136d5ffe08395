package maildelivery

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
)

// reasons are the valid Skipped reasons.
var reasons = []string{ReasonLinkExpired, ReasonLinkNotPending, ReasonNoAddress}

// NewSent is the outcome of a mail handed over at now.
func NewSent(eventID, kind string, now time.Time) Sent {
	return Sent{EventID: eventID, Kind: kind, At: eventTime(now)}
}

// NewSkipped is the outcome of a mail not sent for reason at now.
func NewSkipped(eventID, reason string, now time.Time) Skipped {
	return Skipped{EventID: eventID, Reason: reason, At: eventTime(now)}
}

// NewFailed is the outcome of a mail given up at now after attempts
// deliveries, the last of which failed with errText. The caller removes
// addresses and secrets from errText; NewFailed makes it one line of at
// most MaxErrorLen bytes.
func NewFailed(eventID string, attempts int, errText string, now time.Time) Failed {
	return Failed{EventID: eventID, Attempts: attempts, Error: shortError(errText), At: eventTime(now)}
}

// Cause checks an outcome event (Sent, Skipped or Failed) and returns the
// ID of the event it is the outcome of: its stream is Stream(Cause). A
// malformed outcome is a *domain.ValidationError.
func Cause(e domain.Event) (string, error) {
	var id string
	var at time.Time
	var errs []error
	switch e := e.(type) {
	case Sent:
		id, at = e.EventID, e.At
		if e.Kind == "" {
			errs = append(errs, domain.Invalid("kind", domain.CodeRequired, "the mail's kind is required"))
		}
	case Skipped:
		id, at = e.EventID, e.At
		if !slices.Contains(reasons, e.Reason) {
			errs = append(errs, domain.Invalid("reason", domain.CodeInvalid, fmt.Sprintf("unknown reason %q", e.Reason)))
		}
	case Failed:
		id, at = e.EventID, e.At
		if e.Attempts < 1 {
			errs = append(errs, domain.Invalid("attempts", domain.CodeInvalid, "a failed mail was attempted at least once"))
		}
		if e.Error == "" || len(e.Error) > MaxErrorLen {
			errs = append(errs, domain.Invalid("error", domain.CodeInvalid, fmt.Sprintf("the error must have 1 to %d bytes", MaxErrorLen)))
		}
	default:
		return "", fmt.Errorf("maildelivery: %T is not a delivery outcome: %w", e, domain.ErrInvalid)
	}
	if id == "" {
		errs = append(errs, domain.Invalid("event_id", domain.CodeRequired, "the causing event's ID is required"))
	}
	if at.IsZero() {
		errs = append(errs, domain.Invalid("at", domain.CodeRequired, "the outcome's time is required"))
	}
	if err := domain.CollectValidation(errs...); err != nil {
		return "", err
	}
	return id, nil
}

// shortError folds s into one line of printable text of at most
// MaxErrorLen bytes, cut at a rune boundary.
func shortError(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' }), " ")
	if s == "" {
		return "unknown error"
	}
	if len(s) <= MaxErrorLen {
		return s
	}
	cut := MaxErrorLen - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// eventTime is the time stamped on new events: UTC and without the
// monotonic clock reading, so an event equals itself after a JSON round
// trip.
func eventTime(now time.Time) time.Time { return now.Round(0).UTC() }
