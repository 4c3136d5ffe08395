package esdb_test

import (
	"errors"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// TestIdempotentRetryKeepsPosition checks that retrying an append answers
// the original result, position included, although EventStoreDB answers a
// retry without a position.
func TestIdempotentRetryKeepsPosition(t *testing.T) {
	s := connect(t, startServer(t).ConnString())
	ctx := testContext(t)
	stream := newStream("retry")
	first, second := newEvents(2), newEvents(3)
	r1 := mustAppend(t, s, stream, eventstore.NoStream(), first...)
	r2 := mustAppend(t, s, stream, eventstore.Exact(r1.NextRevision), second...)
	mustAppend(t, s, newStream("other"), eventstore.NoStream(), newEvents(1)...)

	tests := []struct {
		name     string
		expected eventstore.ExpectedRevision
		events   []eventstore.EventData
		want     eventstore.AppendResult
	}{
		{"first batch at no stream", eventstore.NoStream(), first, r1},
		{"second batch at its revision", eventstore.Exact(r1.NextRevision), second, r2},
		{"second batch at any", eventstore.Any(), second, r2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Append(ctx, stream, tc.expected, tc.events...)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if got != tc.want {
				t.Fatalf("retry answered %+v, want the original %+v", got, tc.want)
			}
		})
	}
}

// TestUnsupportedContentType checks that a content type the client cannot
// send is refused rather than relabelled.
func TestUnsupportedContentType(t *testing.T) {
	s := connect(t, startServer(t).ConnString())
	tests := []struct {
		contentType string
		want        string // the content type read back; "" if refused
	}{
		{"", eventstore.ContentTypeJSON},
		{eventstore.ContentTypeJSON, eventstore.ContentTypeJSON},
		{"application/octet-stream", "application/octet-stream"},
		{"text/plain", ""},
	}
	for _, tc := range tests {
		t.Run(tc.contentType, func(t *testing.T) {
			ctx := testContext(t)
			stream := newStream("ct")
			evs := newEvents(1)
			evs[0].ContentType = tc.contentType
			_, err := s.Append(ctx, stream, eventstore.NoStream(), evs...)
			if tc.want == "" {
				if !errors.Is(err, eventstore.ErrInvalidEvent) {
					t.Fatalf("append: err = %v, want ErrInvalidEvent", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("append: %v", err)
			}
			got, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
			if err != nil || len(got) != 1 || got[0].ContentType != tc.want {
				t.Fatalf("read back %+v, %v; want content type %q", got, err, tc.want)
			}
		})
	}
}
