package maildelivery_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/maildelivery"
)

var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.FixedZone("CET", 3600))

const eventID = "0b0a6f1e-8a55-4c53-9a8e-44b1c6f0d9a1"

func TestCodecRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(maildelivery.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		event domain.Event
		typ   string
	}{
		{maildelivery.NewSent(eventID, "invitation", now), "mail.sent.v1"},
		{maildelivery.NewSkipped(eventID, maildelivery.ReasonLinkExpired, now), "mail.skipped.v1"},
		{maildelivery.NewFailed(eventID, 8, "smtp: 451 try later", now), "mail.failed.v1"},
	}
	for _, tt := range tests {
		typ, data, err := codec.Marshal(tt.event)
		if err != nil {
			t.Fatal(err)
		}
		if typ != tt.typ {
			t.Fatalf("type %q, want %q", typ, tt.typ)
		}
		back, err := codec.Unmarshal(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, tt.event) {
			t.Fatalf("round trip %#v, want %#v", back, tt.event)
		}
	}
	if got := maildelivery.Stream(eventID); got != "mail-"+eventID || !strings.HasPrefix(got, maildelivery.StreamPrefix) {
		t.Fatalf("Stream = %q", got)
	}
}

func TestCause(t *testing.T) {
	tests := []struct {
		name   string
		event  domain.Event
		fields []string // "field:code" of the *ValidationError; nil: valid
	}{
		{"sent", maildelivery.NewSent(eventID, "invitation", now), nil},
		{"skipped", maildelivery.NewSkipped(eventID, maildelivery.ReasonNoAddress, now), nil},
		{"failed", maildelivery.NewFailed(eventID, 1, "invalid message", now), nil},
		{"sent without kind", maildelivery.NewSent(eventID, "", now), []string{"kind:required"}},
		{"unknown reason", maildelivery.NewSkipped(eventID, "bored", now), []string{"reason:invalid"}},
		{"failed without attempts", maildelivery.NewFailed(eventID, 0, "x", now), []string{"attempts:invalid"}},
		{"failed without error", maildelivery.Failed{EventID: eventID, Attempts: 1, At: now}, []string{"error:invalid"}},
		{"no event ID, no time", maildelivery.Sent{Kind: "invitation"}, []string{"event_id:required", "at:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := maildelivery.Cause(tt.event)
			if tt.fields == nil {
				if err != nil || id != eventID {
					t.Fatalf("Cause = %q, %v", id, err)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalid) || !slices.Equal(domaintest.ErrorFields(err), tt.fields) {
				t.Fatalf("error %v, want fields %q", err, tt.fields)
			}
		})
	}
	type other struct{ domain.Event }
	if _, err := maildelivery.Cause(other{}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("a foreign event: %v", err)
	}
}

func TestNewFailedShortensTheError(t *testing.T) {
	long := "dial tcp: " + strings.Repeat("é", maildelivery.MaxErrorLen)
	tests := []struct {
		name, in string
		check    func(string) bool
	}{
		{"one line", "smtp: 451\r\n  try\tlater", func(s string) bool { return s == "smtp: 451 try later" }},
		{"empty", " \n", func(s string) bool { return s == "unknown error" }},
		{"long", long, func(s string) bool {
			return len(s) <= maildelivery.MaxErrorLen && utf8.ValidString(s) && strings.HasSuffix(s, "…") && strings.HasPrefix(s, "dial tcp: éé")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := maildelivery.NewFailed(eventID, 3, tt.in, now)
			if !tt.check(f.Error) {
				t.Fatalf("Error %q", f.Error)
			}
			if _, err := maildelivery.Cause(f); err != nil {
				t.Fatalf("a shortened error is not valid: %v", err)
			}
			if f.At.Location() != time.UTC || !f.At.Equal(now) {
				t.Fatalf("At %v", f.At)
			}
		})
	}
}
