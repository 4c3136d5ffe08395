// Package storetest is the contract suite every eventstore.Store adapter
// passes. An adapter's tests call Run with a function that opens a fresh,
// empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Opener opens a fresh store for one test. The suite closes it.
type Opener func(t *testing.T) eventstore.Store

// Run runs the whole contract suite.
//
// Tests use stream names unique to each run, so the suite also works against
// a shared, non-empty store (a real EventStoreDB); assertions on the global
// log therefore look only at the streams the test wrote.
func Run(t *testing.T, open Opener) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"ExpectedRevisions", testExpectedRevisions},
		{"InvalidAppends", testInvalidAppends},
		{"IdempotentRetry", testIdempotentRetry},
		{"ReadStreamPaging", testReadStreamPaging},
		{"ReadAll", testReadAll},
		{"ConcurrentExactRevisions", testConcurrentExactRevisions},
		{"SubscribeUnderConcurrentAppends", testSubscribeUnderConcurrentAppends},
		{"SubscribeResumeFromCheckpoint", testSubscribeResume},
		{"SubscribePrefixFilter", testSubscribePrefixFilter},
		{"SubscribeEndsOnCancel", testSubscribeEndsOnCancel},
		{"DeleteStream", testDeleteStream},
		{"TombstoneStream", testTombstoneStream},
		{"StreamMetadata", testStreamMetadata},
		{"MaxAgeHidesOldEvents", testMaxAge},
		{"CallerGaveUp", testCallerGaveUp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

func testAppendAndReadStream(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("user")
	evs := newEvents(3)

	res, err := s.Append(ctx, stream, eventstore.NoStream(), evs...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if res.NextRevision != 2 {
		t.Fatalf("NextRevision = %d, want 2", res.NextRevision)
	}

	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	assertIDs(t, got, ids(evs))
	var prev eventstore.Position
	for i, e := range got {
		if e.Stream != stream || e.Revision != uint64(i) {
			t.Errorf("event %d: stream %q revision %d, want %q %d", i, e.Stream, e.Revision, stream, i)
		}
		if e.Type != evs[i].Type || string(e.Data) != string(evs[i].Data) || string(e.Metadata) != string(evs[i].Metadata) {
			t.Errorf("event %d: type/data/metadata not preserved: %q %s %s", i, e.Type, e.Data, e.Metadata)
		}
		if e.ContentType != eventstore.ContentTypeJSON {
			t.Errorf("event %d: content type %q, want default %q", i, e.ContentType, eventstore.ContentTypeJSON)
		}
		if e.Created.IsZero() || time.Since(e.Created) > time.Minute || time.Until(e.Created) > time.Minute {
			t.Errorf("event %d: created %v is not about now", i, e.Created)
		}
		if i > 0 && !prev.Less(e.Position) {
			t.Errorf("event %d: position %v not after %v", i, e.Position, prev)
		}
		prev = e.Position
	}
	if got[2].Position != res.Position {
		t.Errorf("last event position %v, AppendResult.Position %v", got[2].Position, res.Position)
	}

	back := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End})
	assertIDs(t, back, reverse(ids(evs)))

	if _, err := s.ReadStream(ctx, newStream("missing"), eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("read missing stream: err = %v, want ErrStreamNotFound", err)
	}
}

func testExpectedRevisions(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("rev")

	wrong := func(name string, exp eventstore.ExpectedRevision, actual int64) {
		t.Helper()
		_, err := s.Append(ctx, stream, exp, newEvents(1)...)
		var w *eventstore.WrongExpectedRevisionError
		if !errors.As(err, &w) {
			t.Fatalf("%s: err = %v, want WrongExpectedRevisionError", name, err)
		}
		if w.Actual != actual || w.Stream != stream {
			t.Fatalf("%s: error carries stream %q actual %d, want %q %d", name, w.Stream, w.Actual, stream, actual)
		}
	}
	ok := func(name string, exp eventstore.ExpectedRevision, wantNext uint64) {
		t.Helper()
		res, err := s.Append(ctx, stream, exp, newEvents(1)...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.NextRevision != wantNext {
			t.Fatalf("%s: NextRevision = %d, want %d", name, res.NextRevision, wantNext)
		}
	}

	wrong("stream exists on a new stream", eventstore.StreamExists(), eventstore.NoRevision)
	wrong("exact 0 on a new stream", eventstore.Exact(0), eventstore.NoRevision)
	ok("no stream on a new stream", eventstore.NoStream(), 0)
	wrong("no stream on an existing stream", eventstore.NoStream(), 0)
	ok("exact 0", eventstore.Exact(0), 1)
	wrong("stale exact 0", eventstore.Exact(0), 1)
	wrong("future exact 5", eventstore.Exact(5), 1)
	ok("stream exists", eventstore.StreamExists(), 2)
	ok("any", eventstore.Any(), 3)

	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(got) != 4 {
		t.Fatalf("stream holds %d events after 4 successful appends", len(got))
	}
}

func testInvalidAppends(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	noType := newEvents(1)
	noType[0].Type = ""
	noID := newEvents(1)
	noID[0].ID = uuid.Nil
	tests := []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"empty stream name", "", newEvents(1)},
		{"no events", newStream("inv"), nil},
		{"event without type", newStream("inv"), noType},
		{"event without id", newStream("inv"), noID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Append(ctx, tc.stream, eventstore.Any(), tc.events...)
			if !errors.Is(err, eventstore.ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
			if tc.stream == "" {
				return
			}
			if _, err := s.ReadStream(ctx, tc.stream, eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatalf("after a rejected append the stream exists: read err = %v", err)
			}
		})
	}
}

func testIdempotentRetry(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("idem")
	first := newEvents(2)
	r1, err := s.Append(ctx, stream, eventstore.NoStream(), first...)
	if err != nil {
		t.Fatalf("first append: %v", err)
	}
	second := newEvents(2)
	r2, err := s.Append(ctx, stream, eventstore.Exact(r1.NextRevision), second...)
	if err != nil {
		t.Fatalf("second append: %v", err)
	}

	retries := []struct {
		name string
		exp  eventstore.ExpectedRevision
		evs  []eventstore.EventData
		want eventstore.AppendResult
	}{
		{"first batch at no stream", eventstore.NoStream(), first, r1},
		{"second batch at its exact revision", eventstore.Exact(r1.NextRevision), second, r2},
		{"second batch at any", eventstore.Any(), second, r2},
	}
	for _, tc := range retries {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Append(ctx, stream, tc.exp, tc.evs...)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if got.NextRevision != tc.want.NextRevision {
				t.Fatalf("retry NextRevision = %d, want the original %d", got.NextRevision, tc.want.NextRevision)
			}
		})
	}
	all := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	assertIDs(t, all, append(ids(first), ids(second)...))
}

func testReadStreamPaging(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("page")
	evs := newEvents(25)
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), evs...); err != nil {
		t.Fatalf("append: %v", err)
	}
	want := ids(evs)
	tests := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uuid.UUID
	}{
		{"forwards from 10, max 5", eventstore.ReadStreamOptions{From: 10, Max: 5}, want[10:15]},
		{"forwards near the end", eventstore.ReadStreamOptions{From: 22, Max: 10}, want[22:]},
		{"forwards past the end", eventstore.ReadStreamOptions{From: 25, Max: 10}, nil},
		{"backwards from 4", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 4, Max: 3}, reverse(want[2:5])},
		{"backwards from end, max 2", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 2}, reverse(want[23:])},
		{"backwards from 1 past the start", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 1, Max: 10}, reverse(want[:2])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ReadStream(ctx, stream, tc.opts)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			assertIDs(t, got, tc.want)
		})
	}
}

func testReadAll(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	a, b := newStream("all-a"), newStream("all-b")
	var want []uuid.UUID
	for i := 0; i < 4; i++ {
		for _, st := range []string{a, b} {
			evs := newEvents(2)
			if _, err := s.Append(ctx, st, eventstore.Any(), evs...); err != nil {
				t.Fatalf("append: %v", err)
			}
			want = append(want, ids(evs)...)
		}
	}
	ours := func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
		return keepStreams(evs, a, b)
	}

	fwd := ours(readAllFrom(t, s, eventstore.StartPosition))
	assertIDs(t, fwd, want)
	assertAscending(t, fwd)

	// Reading from a position includes the event at that position.
	from := ours(readAllFrom(t, s, fwd[5].Position))
	assertIDs(t, from, want[5:])

	back, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.EndPosition, Max: 50})
	if err != nil {
		t.Fatalf("read all backwards: %v", err)
	}
	assertDescending(t, back)
	// A shared store may hold later system events; ours come next.
	mine := ours(back)
	if len(mine) == 0 || mine[0].ID != want[len(want)-1] {
		t.Fatalf("backwards read from the end does not start with our last event %v", want[len(want)-1])
	}
	if len(back) > 4 {
		short, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: back[1].Position, Max: 3})
		if err != nil {
			t.Fatalf("read all backwards from a position: %v", err)
		}
		if len(short) != 3 || short[0].ID != back[1].ID || short[2].ID != back[3].ID {
			t.Fatalf("backwards read from a position is not inclusive or not limited to Max")
		}
	}
}

// testConcurrentExactRevisions races 64 writers on one stream, each trying to
// append at the revision it last read: exactly one wins each revision.
func testConcurrentExactRevisions(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("race")
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), newEvents(1)...); err != nil {
		t.Fatalf("seed append: %v", err)
	}
	const writers, rounds = 64, 5
	var (
		mu   sync.Mutex
		wins = map[uint64][]uuid.UUID{}
	)
	for round := 0; round < rounds; round++ {
		last := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1})
		rev := last[0].Revision
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := newEvents(1)
				<-start
				res, err := s.Append(ctx, stream, eventstore.Exact(rev), ev...)
				switch {
				case err == nil:
					mu.Lock()
					wins[res.NextRevision] = append(wins[res.NextRevision], ev[0].ID)
					mu.Unlock()
				case !eventstore.IsWrongExpectedRevision(err):
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: unexpected error: %v", round, err)
		}
		if got := len(wins[rev+1]); got != 1 {
			t.Fatalf("round %d: %d writers won revision %d, want exactly 1", round, got, rev+1)
		}
	}
	all := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(all) != rounds+1 {
		t.Fatalf("stream holds %d events, want %d", len(all), rounds+1)
	}
	for rev, winners := range wins {
		if all[rev].ID != winners[0] {
			t.Fatalf("revision %d holds %v, the winner was %v", rev, all[rev].ID, winners[0])
		}
	}
}

func testSubscribeUnderConcurrentAppends(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	prefix := newStream("sub") + "-"
	// Half the events exist before the subscription starts (catch-up), the
	// rest are appended concurrently while it runs (switch to live).
	const writers, perWriter = 8, 25
	appendAll := func(from, to int) {
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from; i < to; i++ {
					if _, err := s.Append(ctx, fmt.Sprintf("%s%d", prefix, w), eventstore.Any(), newEvents(1+i%2)...); err != nil {
						t.Errorf("append: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	appendAll(0, perWriter/2)

	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{Prefixes: []string{prefix}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	total := 0
	for i := 0; i < perWriter; i++ {
		total += writers * (1 + i%2)
	}
	type result struct {
		evs []eventstore.RecordedEvent
		err error
	}
	received := make(chan result, 1)
	go func() {
		evs, err := Receive(sub, total)
		received <- result{evs, err}
	}()
	appendAll(perWriter/2, perWriter)

	r := <-received
	if r.err != nil {
		t.Fatal(r.err)
	}
	got := r.evs
	want := keepStreamPrefix(readAllFrom(t, s, eventstore.StartPosition), prefix)
	assertIDs(t, got, ids2(want))
	assertAscending(t, got)
	AssertNothingMore(t, sub)
}

func testSubscribeResume(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("resume")
	first, second := newEvents(5), newEvents(4)
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), first...); err != nil {
		t.Fatalf("append: %v", err)
	}

	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{Prefixes: []string{stream}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	got := recvN(t, sub, 3)
	checkpoint := got[2].Position
	if err := sub.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	if _, err := s.Append(ctx, stream, eventstore.Any(), second...); err != nil {
		t.Fatalf("append: %v", err)
	}
	sub2, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{After: checkpoint, Prefixes: []string{stream}})
	if err != nil {
		t.Fatalf("resubscribe: %v", err)
	}
	defer sub2.Close()
	rest := recvN(t, sub2, 6)
	assertIDs(t, rest, append(ids(first[3:]), ids(second)...))
	AssertNothingMore(t, sub2)
}

func testSubscribePrefixFilter(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	run := newStream("pf")
	users, orgs, other := run+"-user-", run+"-org-", run+"-job-"
	var want []uuid.UUID
	for i := 0; i < 5; i++ {
		for _, p := range []string{users, other, orgs} {
			evs := newEvents(1)
			if _, err := s.Append(ctx, fmt.Sprintf("%s%d", p, i), eventstore.Any(), evs...); err != nil {
				t.Fatalf("append: %v", err)
			}
			if p != other {
				want = append(want, evs[0].ID)
			}
		}
	}
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{Prefixes: []string{users, orgs}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	got := recvN(t, sub, len(want))
	assertIDs(t, got, want)
	for _, e := range got {
		if strings.HasPrefix(e.Stream, other) {
			t.Fatalf("filtered subscription delivered %q", e.Stream)
		}
	}
	AssertNothingMore(t, sub)
}

func testSubscribeEndsOnCancel(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithCancel(testContext(t))
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{Prefixes: []string{newStream("cancel")}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Recv()
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Recv returned no error after its context was cancelled")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked 5s after its context was cancelled")
	}
}

func testDeleteStream(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("del")
	res, err := s.Append(ctx, stream, eventstore.NoStream(), newEvents(3)...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := s.DeleteStream(ctx, stream, eventstore.Exact(0)); !eventstore.IsWrongExpectedRevision(err) {
		t.Fatalf("delete at a stale revision: err = %v, want WrongExpectedRevisionError", err)
	}
	if _, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}); err != nil {
		t.Fatalf("a failed delete removed the stream: %v", err)
	}
	if _, err := s.DeleteStream(ctx, stream, eventstore.Exact(res.NextRevision)); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("read after delete: err = %v, want ErrStreamNotFound", err)
	}

	// A soft-deleted stream comes back with its next append; revisions go on.
	again := newEvents(1)
	r2, err := s.Append(ctx, stream, eventstore.Any(), again...)
	if err != nil {
		t.Fatalf("append after delete: %v", err)
	}
	if r2.NextRevision != res.NextRevision+1 {
		t.Fatalf("revision after delete = %d, want %d (revisions continue)", r2.NextRevision, res.NextRevision+1)
	}
	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	assertIDs(t, got, ids(again))
}

func testTombstoneStream(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream, neighbour := newStream("tomb"), newStream("tomb-neighbour")
	res, err := s.Append(ctx, stream, eventstore.NoStream(), newEvents(2)...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	kept := newEvents(1)
	if _, err := s.Append(ctx, neighbour, eventstore.NoStream(), kept...); err != nil {
		t.Fatalf("append neighbour: %v", err)
	}
	if _, err := s.TombstoneStream(ctx, stream, eventstore.Exact(res.NextRevision+3)); !eventstore.IsWrongExpectedRevision(err) {
		t.Fatalf("tombstone at a wrong revision: err = %v, want WrongExpectedRevisionError", err)
	}
	if _, err := s.TombstoneStream(ctx, stream, eventstore.Exact(res.NextRevision)); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	if _, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Errorf("read after tombstone: err = %v, want ErrStreamDeleted", err)
	}
	if _, err := s.Append(ctx, stream, eventstore.Any(), newEvents(1)...); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Errorf("append after tombstone: err = %v, want ErrStreamDeleted", err)
	}
	if _, err := s.TombstoneStream(ctx, stream, eventstore.Any()); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Errorf("second tombstone: err = %v, want ErrStreamDeleted", err)
	}
	got := mustReadStream(t, s, neighbour, eventstore.ReadStreamOptions{})
	assertIDs(t, got, ids(kept))
}

func testStreamMetadata(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("meta")
	evs := newEvents(6)
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), evs...); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, _, err := s.StreamMetadata(ctx, stream); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("metadata before any was set: err = %v, want ErrStreamNotFound", err)
	}

	tb := uint64(2)
	r1, err := s.SetStreamMetadata(ctx, stream, eventstore.NoStream(), eventstore.StreamMetadata{TruncateBefore: &tb, MaxAge: time.Hour})
	if err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	meta, rev, err := s.StreamMetadata(ctx, stream)
	if err != nil {
		t.Fatalf("get metadata: %v", err)
	}
	if meta.TruncateBefore == nil || *meta.TruncateBefore != 2 || meta.MaxAge != time.Hour || rev != r1.NextRevision {
		t.Fatalf("metadata = %+v (tb %v) at revision %d, want tb 2, max age 1h at %d", meta, meta.TruncateBefore, rev, r1.NextRevision)
	}
	assertIDs(t, mustReadStream(t, s, stream, eventstore.ReadStreamOptions{}), ids(evs[2:]))

	if _, err := s.SetStreamMetadata(ctx, stream, eventstore.NoStream(), eventstore.StreamMetadata{}); !eventstore.IsWrongExpectedRevision(err) {
		t.Fatalf("metadata write at a stale revision: err = %v, want WrongExpectedRevisionError", err)
	}
	if _, err := s.SetStreamMetadata(ctx, stream, eventstore.Exact(rev), eventstore.StreamMetadata{MaxCount: 2}); err != nil {
		t.Fatalf("replace metadata: %v", err)
	}
	assertIDs(t, mustReadStream(t, s, stream, eventstore.ReadStreamOptions{}), ids(evs[4:]))
}

// testMaxAge: events older than the stream's max age disappear from reads.
func testMaxAge(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	stream := newStream("age")
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), newEvents(2)...); err != nil {
		t.Fatalf("append: %v", err)
	}
	time.Sleep(2600 * time.Millisecond)
	fresh := newEvents(1)
	if _, err := s.Append(ctx, stream, eventstore.Any(), fresh...); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := s.SetStreamMetadata(ctx, stream, eventstore.NoStream(), eventstore.StreamMetadata{MaxAge: 2 * time.Second}); err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	assertIDs(t, mustReadStream(t, s, stream, eventstore.ReadStreamOptions{}), ids(fresh))
}

// --- helpers ---

// testCallerGaveUp: a call whose context was cancelled or ran out fails
// with an error that errors.Is tells as the context's own, so that callers
// (the HTTP layer) can tell a client that left from a store that failed;
// and an append refused that way wrote nothing.
func testCallerGaveUp(t *testing.T, s eventstore.Store) {
	stream := newStream("gaveup")
	if _, err := s.Append(testContext(t), stream, eventstore.NoStream(), newEvents(1)...); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline passed", expired, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]error{}
			_, calls["ReadStream"] = s.ReadStream(tc.ctx, stream, eventstore.ReadStreamOptions{})
			_, calls["ReadAll"] = s.ReadAll(tc.ctx, eventstore.ReadAllOptions{Max: 10})
			_, calls["Append"] = s.Append(tc.ctx, stream, eventstore.Exact(0), newEvents(1)...)
			for call, err := range calls {
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want an error that is %v", call, err, tc.want)
				}
			}
		})
	}
	if got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{}); len(got) != 1 {
		t.Fatalf("the stream holds %d events after refused appends, want 1", len(got))
	}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newStream(kind string) string {
	return kind + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")
}

func newEvents(n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		id := uuid.New()
		evs[i] = eventstore.EventData{
			ID:       id,
			Type:     "test.happened.v1",
			Data:     []byte(fmt.Sprintf(`{"n":%d,"id":%q}`, i, id)),
			Metadata: []byte(`{"actor":"storetest"}`),
		}
	}
	return evs
}

func mustReadStream(t *testing.T, s eventstore.Store, stream string, opts eventstore.ReadStreamOptions) []eventstore.RecordedEvent {
	t.Helper()
	got, err := s.ReadStream(testContext(t), stream, opts)
	if err != nil {
		t.Fatalf("read stream %q: %v", stream, err)
	}
	return got
}

// readAllFrom reads the whole global log from pos in pages.
func readAllFrom(t *testing.T, s eventstore.Store, pos eventstore.Position) []eventstore.RecordedEvent {
	t.Helper()
	var all []eventstore.RecordedEvent
	for {
		page, err := s.ReadAll(testContext(t), eventstore.ReadAllOptions{From: pos, Max: 500})
		if err != nil {
			t.Fatalf("read all: %v", err)
		}
		if len(all) > 0 && len(page) > 0 && page[0].Position == all[len(all)-1].Position {
			page = page[1:] // From is inclusive: the page starts with the last event seen
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		pos = page[len(page)-1].Position
	}
}

func recvN(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	got, err := Receive(sub, n)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Receive receives n events from sub, waiting at most 10s for each. Adapter
// tests use it too.
func Receive(sub eventstore.Subscription, n int) ([]eventstore.RecordedEvent, error) {
	got := make([]eventstore.RecordedEvent, 0, n)
	for len(got) < n {
		e, err := Next(sub, 10*time.Second)
		if err != nil {
			return got, fmt.Errorf("after %d of %d events: %w", len(got), n, err)
		}
		got = append(got, e)
	}
	return got, nil
}

var errRecvTimeout = errors.New("no event within the timeout")

// Next waits at most d for the next event; on timeout it closes sub, which
// unblocks the pending Recv.
func Next(sub eventstore.Subscription, d time.Duration) (eventstore.RecordedEvent, error) {
	type result struct {
		e   eventstore.RecordedEvent
		err error
	}
	c := make(chan result, 1)
	go func() {
		e, err := sub.Recv()
		c <- result{e, err}
	}()
	select {
	case r := <-c:
		return r.e, r.err
	case <-time.After(d):
		_ = sub.Close()
		return eventstore.RecordedEvent{}, errRecvTimeout
	}
}

// AssertNothingMore checks that no further event arrives soon. It closes the
// subscription.
func AssertNothingMore(t *testing.T, sub eventstore.Subscription) {
	t.Helper()
	e, err := Next(sub, 300*time.Millisecond)
	if err == nil {
		t.Fatalf("unexpected extra event %v in %q at %v", e.ID, e.Stream, e.Position)
	}
}

func assertIDs(t *testing.T, got []eventstore.RecordedEvent, want []uuid.UUID) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("event %d is %v, want %v", i, got[i].ID, want[i])
		}
	}
}

func assertAscending(t *testing.T, evs []eventstore.RecordedEvent) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		if !evs[i-1].Position.Less(evs[i].Position) {
			t.Fatalf("positions not strictly ascending at %d: %v then %v", i, evs[i-1].Position, evs[i].Position)
		}
	}
}

func assertDescending(t *testing.T, evs []eventstore.RecordedEvent) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		if !evs[i].Position.Less(evs[i-1].Position) {
			t.Fatalf("positions not strictly descending at %d: %v then %v", i, evs[i-1].Position, evs[i].Position)
		}
	}
}

func keepStreams(evs []eventstore.RecordedEvent, streams ...string) []eventstore.RecordedEvent {
	var out []eventstore.RecordedEvent
	for _, e := range evs {
		for _, s := range streams {
			if e.Stream == s {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

func keepStreamPrefix(evs []eventstore.RecordedEvent, prefix string) []eventstore.RecordedEvent {
	var out []eventstore.RecordedEvent
	for _, e := range evs {
		if strings.HasPrefix(e.Stream, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func ids(evs []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func ids2(evs []eventstore.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func reverse(in []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(in))
	for i, id := range in {
		out[len(in)-1-i] = id
	}
	return out
}
