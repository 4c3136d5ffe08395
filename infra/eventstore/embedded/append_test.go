package embedded_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/google/uuid"
)

func TestAppendAssignsDensePositionsAndRevisions(t *testing.T) {
	s := openStore(t)
	var want []uint64
	for i, stream := range []string{"a", "b", "a", "c", "b"} {
		n := i%3 + 1
		res := mustAppend(t, s, stream, eventstore.Any(), newEvents(n, "t.v1")...)
		last := uint64(len(want) + n)
		if res.Position != pos(last) {
			t.Fatalf("append %d: position %+v, want %+v", i, res.Position, pos(last))
		}
		for p := uint64(len(want)) + 1; p <= last; p++ {
			want = append(want, p)
		}
	}
	all := readAll(t, s)
	if got := commits(all); !slices.Equal(got, want) {
		t.Fatalf("positions %v, want %v", got, want)
	}
	for _, ev := range all {
		if ev.Position.Prepare != ev.Position.Commit {
			t.Fatalf("event %s: position %+v has Prepare != Commit", ev.ID, ev.Position)
		}
	}
	for _, stream := range []string{"a", "b", "c"} {
		evs := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
		for i, ev := range evs {
			if ev.Revision != uint64(i) {
				t.Fatalf("stream %s: revisions %v not contiguous from 0", stream, revisions(evs))
			}
		}
	}
}

func TestAppendExpectedRevision(t *testing.T) {
	type setup int
	const (
		missing setup = iota
		twoEvents
		softDeleted
		tombstoned
	)
	tests := []struct {
		name     string
		setup    setup
		expected eventstore.ExpectedRevision
		wantErr  error
		// wantActual is checked when wantErr is a WrongExpectedRevisionError.
		wantActual int64
		wantNext   uint64
	}{
		{"any on missing stream", missing, eventstore.Any(), nil, 0, 0},
		{"no stream on missing stream", missing, eventstore.NoStream(), nil, 0, 0},
		{"stream exists on missing stream", missing, eventstore.StreamExists(), errWrong, eventstore.NoRevision, 0},
		{"exact 0 on missing stream", missing, eventstore.Exact(0), errWrong, eventstore.NoRevision, 0},
		{"any on existing stream", twoEvents, eventstore.Any(), nil, 0, 2},
		{"no stream on existing stream", twoEvents, eventstore.NoStream(), errWrong, 1, 0},
		{"stream exists on existing stream", twoEvents, eventstore.StreamExists(), nil, 0, 2},
		{"exact last revision", twoEvents, eventstore.Exact(1), nil, 0, 2},
		{"exact stale revision", twoEvents, eventstore.Exact(0), errWrong, 1, 0},
		{"exact future revision", twoEvents, eventstore.Exact(5), errWrong, 1, 0},
		{"no stream recreates soft-deleted stream", softDeleted, eventstore.NoStream(), nil, 0, 2},
		{"any recreates soft-deleted stream", softDeleted, eventstore.Any(), nil, 0, 2},
		{"stream exists on soft-deleted stream", softDeleted, eventstore.StreamExists(), errWrong, eventstore.NoRevision, 0},
		{"exact old revision on soft-deleted stream", softDeleted, eventstore.Exact(1), errWrong, eventstore.NoRevision, 0},
		{"any on tombstoned stream", tombstoned, eventstore.Any(), eventstore.ErrStreamDeleted, 0, 0},
		{"no stream on tombstoned stream", tombstoned, eventstore.NoStream(), eventstore.ErrStreamDeleted, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			ctx := context.Background()
			const stream = "user-1"
			if tt.setup != missing {
				mustAppend(t, s, stream, eventstore.NoStream(), newEvents(2, "t.v1")...)
			}
			switch tt.setup {
			case softDeleted:
				if _, err := s.DeleteStream(ctx, stream, eventstore.Any()); err != nil {
					t.Fatal(err)
				}
			case tombstoned:
				if _, err := s.TombstoneStream(ctx, stream, eventstore.Any()); err != nil {
					t.Fatal(err)
				}
			}
			before := len(readAll(t, s))

			res, err := s.Append(ctx, stream, tt.expected, newEvents(1, "t.v1")...)

			switch {
			case tt.wantErr == errWrong:
				var wrong *eventstore.WrongExpectedRevisionError
				if !errors.As(err, &wrong) {
					t.Fatalf("err = %v, want WrongExpectedRevisionError", err)
				}
				if wrong.Stream != stream || wrong.Expected != tt.expected || wrong.Actual != tt.wantActual {
					t.Fatalf("error %+v, want stream %q expected %s actual %d", wrong, stream, tt.expected, tt.wantActual)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				if res.NextRevision != tt.wantNext {
					t.Fatalf("NextRevision %d, want %d", res.NextRevision, tt.wantNext)
				}
				return
			}
			if after := len(readAll(t, s)); after != before {
				t.Fatalf("rejected append changed the log from %d to %d events", before, after)
			}
		})
	}
}

// errWrong stands for "a *WrongExpectedRevisionError" in test tables.
var errWrong = errors.New("wrong expected revision")

func TestAppendIdempotentRetry(t *testing.T) {
	tests := []struct {
		name  string
		first eventstore.ExpectedRevision
		retry eventstore.ExpectedRevision
		// between is appended to the stream after the first append.
		between int
		// events derives the retried events from the original ones.
		events  func(orig []eventstore.EventData) []eventstore.EventData
		wantErr bool
	}{
		{"exact, same events", eventstore.Exact(0), eventstore.Exact(0), 0, same, false},
		{"exact, stream moved on", eventstore.Exact(0), eventstore.Exact(0), 2, same, false},
		{"no stream, same events", eventstore.NoStream(), eventstore.NoStream(), 0, same, false},
		{"no stream, stream moved on", eventstore.NoStream(), eventstore.NoStream(), 3, same, false},
		{"any, same events", eventstore.Any(), eventstore.Any(), 0, same, false},
		{"any, stream moved on", eventstore.Any(), eventstore.Any(), 2, same, false},
		{"stream exists, same events", eventstore.StreamExists(), eventstore.StreamExists(), 1, same, false},
		{"exact, prefix of the events", eventstore.Exact(0), eventstore.Exact(0), 0, prefix, false},
		{"exact, last event differs", eventstore.Exact(0), eventstore.Exact(0), 0, lastDiffers, true},
		{"exact, runs past the end", eventstore.Exact(0), eventstore.Exact(0), 0, extended, true},
		{"no stream, last event differs", eventstore.NoStream(), eventstore.NoStream(), 0, lastDiffers, true},
		{"any, last event differs", eventstore.Any(), eventstore.Any(), 0, lastDiffers, true},
		{"any, runs past the end", eventstore.Any(), eventstore.Any(), 0, extended, true},
		{"any, runs into later events", eventstore.Any(), eventstore.Any(), 1, extended, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			ctx := context.Background()
			const stream = "user-1"
			if rev, ok := tt.first.Exact(); ok {
				for range rev + 1 {
					mustAppend(t, s, stream, eventstore.Any(), newEvents(1, "seed.v1")...)
				}
			} else if tt.first.IsStreamExists() {
				mustAppend(t, s, stream, eventstore.NoStream(), newEvents(1, "seed.v1")...)
			}
			orig := newEvents(3, "t.v1")
			want := mustAppend(t, s, stream, tt.first, orig...)
			if tt.between > 0 {
				mustAppend(t, s, stream, eventstore.Any(), newEvents(tt.between, "later.v1")...)
			}
			before := readAll(t, s)

			got, err := s.Append(ctx, stream, tt.retry, tt.events(orig)...)

			if tt.wantErr {
				if !eventstore.IsWrongExpectedRevision(err) {
					t.Fatalf("err = %v, want WrongExpectedRevisionError", err)
				}
			} else {
				if err != nil {
					t.Fatalf("retry: %v", err)
				}
				wantRes := want
				if n := len(tt.events(orig)); n < len(orig) {
					wantRes.NextRevision -= uint64(len(orig) - n)
					wantRes.Position = pos(want.Position.Commit - uint64(len(orig)-n))
				}
				if got != wantRes {
					t.Fatalf("retry result %+v, want %+v", got, wantRes)
				}
			}
			if after := readAll(t, s); !slices.Equal(ids(after), ids(before)) {
				t.Fatalf("retry changed the log: %d events before, %d after", len(before), len(after))
			}
		})
	}
}

func same(orig []eventstore.EventData) []eventstore.EventData { return orig }

func prefix(orig []eventstore.EventData) []eventstore.EventData { return orig[:2] }

func lastDiffers(orig []eventstore.EventData) []eventstore.EventData {
	evs := slices.Clone(orig)
	evs[len(evs)-1].ID = uuid.New()
	return evs
}

func extended(orig []eventstore.EventData) []eventstore.EventData {
	return append(slices.Clone(orig), newEvents(1, "t.v1")...)
}

func TestAppendRejectsInvalidInput(t *testing.T) {
	valid := newEvents(1, "t.v1")
	tests := []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"empty stream name", "", valid},
		{"NUL in stream name", "user\x00-1", valid},
		{"stream name too long", strings.Repeat("x", 40000), valid},
		{"no events", "user-1", nil},
		{"nil ID", "user-1", []eventstore.EventData{{Type: "t.v1"}}},
		{"empty type", "user-1", []eventstore.EventData{{ID: uuid.New()}}},
		{"one bad event among good ones", "user-1", append(newEvents(2, "t.v1"), eventstore.EventData{ID: uuid.New()})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			_, err := s.Append(context.Background(), tt.stream, eventstore.Any(), tt.events...)
			if !errors.Is(err, eventstore.ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
			if n := len(readAll(t, s)); n != 0 {
				t.Fatalf("invalid append stored %d events", n)
			}
		})
	}
}

func TestAppendStoresEnvelope(t *testing.T) {
	s := openStore(t)
	before := time.Now().UTC()
	in := []eventstore.EventData{
		{ID: uuid.New(), Type: "a.v1", Data: []byte(`{"a":1}`), Metadata: []byte(`{"actor":"x"}`)},
		{ID: uuid.New(), Type: "b.v1", ContentType: "application/octet-stream", Data: []byte{0, 1, 2}},
		{ID: uuid.New(), Type: "c.v1"},
	}
	mustAppend(t, s, "user-1", eventstore.NoStream(), in...)
	after := time.Now().UTC()

	got := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})
	if len(got) != len(in) {
		t.Fatalf("read %d events, want %d", len(got), len(in))
	}
	wantCT := []string{eventstore.ContentTypeJSON, "application/octet-stream", eventstore.ContentTypeJSON}
	for i, ev := range got {
		if ev.ID != in[i].ID || ev.Type != in[i].Type || ev.Stream != "user-1" ||
			string(ev.Data) != string(in[i].Data) || string(ev.Metadata) != string(in[i].Metadata) {
			t.Errorf("event %d: got %+v, want %+v", i, ev, in[i])
		}
		if ev.ContentType != wantCT[i] {
			t.Errorf("event %d: content type %q, want %q", i, ev.ContentType, wantCT[i])
		}
		if ev.Created.Location() != time.UTC || ev.Created.Before(before.Truncate(time.Microsecond)) || ev.Created.After(after) {
			t.Errorf("event %d: Created %v not a UTC time between %v and %v", i, ev.Created, before, after)
		}
	}
}

// Many goroutines appending at the same expected revision: exactly one wins,
// the others get WrongExpectedRevisionError, even when they share a batch.
func TestAppendConcurrentWritersExactlyOneWins(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "org-1", eventstore.NoStream(), newEvents(1, "created.v1")...)
	const writers = 32
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = s.Append(context.Background(), "org-1", eventstore.Exact(0), newEvents(2, "renamed.v1")...)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !eventstore.IsWrongExpectedRevision(err):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d appends won, want exactly 1", wins)
	}
	if evs := mustReadStream(t, s, "org-1", eventstore.ReadStreamOptions{}); len(evs) != 3 {
		t.Fatalf("stream has %d events, want 3", len(evs))
	}
}

func TestAppendHonoursContext(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, "user-1", eventstore.Any(), newEvents(1, "t.v1")...); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(readAll(t, s)); n != 0 {
		t.Fatalf("canceled append stored %d events", n)
	}
}
