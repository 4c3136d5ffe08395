package embedded_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

func TestReadStreamPages(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(5, "t.v1")...)
	mustAppend(t, s, "user-2", eventstore.NoStream(), newEvents(2, "t.v1")...)
	tests := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uint64
	}{
		{"forwards from the start", eventstore.ReadStreamOptions{}, []uint64{0, 1, 2, 3, 4}},
		{"forwards from 2", eventstore.ReadStreamOptions{From: 2}, []uint64{2, 3, 4}},
		{"forwards with max", eventstore.ReadStreamOptions{From: 1, Max: 2}, []uint64{1, 2}},
		{"forwards from the last", eventstore.ReadStreamOptions{From: 4}, []uint64{4}},
		{"forwards past the end", eventstore.ReadStreamOptions{From: 5}, []uint64{}},
		{"forwards far past the end", eventstore.ReadStreamOptions{From: 1 << 40}, []uint64{}},
		{"backwards from the end", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End}, []uint64{4, 3, 2, 1, 0}},
		{"backwards from 3 with max", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 3, Max: 2}, []uint64{3, 2}},
		{"backwards from 0", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 0}, []uint64{0}},
		{"backwards from past the end", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 9}, []uint64{4, 3, 2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustReadStream(t, s, "user-1", tt.opts)
			if !slices.Equal(revisions(got), tt.want) {
				t.Fatalf("revisions %v, want %v", revisions(got), tt.want)
			}
			for _, ev := range got {
				if ev.Stream != "user-1" {
					t.Fatalf("read event of stream %q", ev.Stream)
				}
			}
		})
	}
}

func TestReadStreamMissingStreams(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, "soft", eventstore.NoStream(), newEvents(2, "t.v1")...)
	mustAppend(t, s, "hard", eventstore.NoStream(), newEvents(2, "t.v1")...)
	if _, err := s.DeleteStream(ctx, "soft", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TombstoneStream(ctx, "hard", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStreamMetadata(ctx, "meta-only", eventstore.Any(), eventstore.StreamMetadata{MaxCount: 3}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stream string
		want   error
	}{
		{"never", eventstore.ErrStreamNotFound},
		{"soft", eventstore.ErrStreamNotFound},
		{"meta-only", eventstore.ErrStreamNotFound},
		{"hard", eventstore.ErrStreamDeleted},
		{"", eventstore.ErrInvalidEvent},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			for _, dir := range []eventstore.Direction{eventstore.Forwards, eventstore.Backwards} {
				_, err := s.ReadStream(ctx, tt.stream, eventstore.ReadStreamOptions{Direction: dir, From: eventstore.End})
				if !errors.Is(err, tt.want) {
					t.Fatalf("direction %d: err = %v, want %v", dir, err, tt.want)
				}
			}
		})
	}
}

func TestReadStreamHonoursMetadata(t *testing.T) {
	ptr := func(v uint64) *uint64 { return &v }
	tests := []struct {
		name      string
		meta      eventstore.StreamMetadata
		forwards  []uint64
		backwards []uint64
	}{
		{"no limits", eventstore.StreamMetadata{}, []uint64{0, 1, 2, 3, 4}, []uint64{4, 3, 2, 1, 0}},
		{"truncate before", eventstore.StreamMetadata{TruncateBefore: ptr(2)}, []uint64{2, 3, 4}, []uint64{4, 3, 2}},
		{"max count", eventstore.StreamMetadata{MaxCount: 2}, []uint64{3, 4}, []uint64{4, 3}},
		{"max count above length", eventstore.StreamMetadata{MaxCount: 50}, []uint64{0, 1, 2, 3, 4}, []uint64{4, 3, 2, 1, 0}},
		{"truncate before and max count", eventstore.StreamMetadata{TruncateBefore: ptr(1), MaxCount: 3}, []uint64{2, 3, 4}, []uint64{4, 3, 2}},
		{"truncate everything", eventstore.StreamMetadata{TruncateBefore: ptr(10)}, []uint64{}, []uint64{}},
		{"generous max age", eventstore.StreamMetadata{MaxAge: time.Hour}, []uint64{0, 1, 2, 3, 4}, []uint64{4, 3, 2, 1, 0}},
		{"tiny max age", eventstore.StreamMetadata{MaxAge: time.Nanosecond}, []uint64{}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(5, "t.v1")...)
			if _, err := s.SetStreamMetadata(context.Background(), "user-1", eventstore.Any(), tt.meta); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond) // let "tiny max age" expire every event
			fw := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})
			bw := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End})
			if !slices.Equal(revisions(fw), tt.forwards) || !slices.Equal(revisions(bw), tt.backwards) {
				t.Fatalf("forwards %v backwards %v, want %v and %v", revisions(fw), revisions(bw), tt.forwards, tt.backwards)
			}
		})
	}
}

// MaxAge hides exactly the events older than the limit.
func TestReadStreamMaxAgeHidesOldEventsOnly(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(2, "old.v1")...)
	const gap = 600 * time.Millisecond
	time.Sleep(gap)
	mustAppend(t, s, "user-1", eventstore.Exact(1), newEvents(2, "new.v1")...)
	evs := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})
	// Events older than half the gap are hidden; the new ones stay
	// visible for the other half.
	maxAge := time.Since(evs[2].Created) + gap/2
	if _, err := s.SetStreamMetadata(context.Background(), "user-1", eventstore.NoStream(), eventstore.StreamMetadata{MaxAge: maxAge}); err != nil {
		t.Fatal(err)
	}
	got := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})
	if !slices.Equal(revisions(got), []uint64{2, 3}) {
		t.Fatalf("revisions %v, want [2 3]", revisions(got))
	}
}
