package projections_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

// recorder is a test read model: it pushes every applied event ID to a list,
// so a duplicate or a gap shows, and can be told to fail a batch.
type recorder struct {
	key      string
	failNext atomic.Int32 // batches left to fail
	batches  atomic.Int32
}

func (r *recorder) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	r.batches.Add(1)
	ids := make([]any, len(events))
	for i, ev := range events {
		ids[i] = ev.ID.String()
	}
	pipe.RPush(ctx, r.key, ids...)
	if r.failNext.Load() > 0 {
		r.failNext.Add(-1)
		return errors.New("injected failure")
	}
	return nil
}

type fixture struct {
	store  *embedded.Store
	rdb    redis.UniversalClient
	prefix string
	rec    *recorder
	runner *projections.Runner
}

func newFixture(t *testing.T, open func(t *testing.T) (redis.UniversalClient, string)) *fixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rdb, prefix := open(t)
	f := &fixture{store: store, rdb: rdb, prefix: prefix, rec: &recorder{key: prefix + "applied"}}
	f.runner = f.newRunner(t)
	return f
}

func (f *fixture) newRunner(t *testing.T) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(projections.Config{
		Source: f.store, Redis: f.rdb, Prefix: f.prefix, MaxBatch: 16, LeaseTTL: time.Second,
	}, projections.Projector{
		Name:     "recorder",
		Prefixes: []string{"user-"},
		Handler:  f.rec,
		Reset:    func(ctx context.Context) error { return f.rdb.Del(ctx, f.rec.key).Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// appendUsers appends n one-event appends to user streams and one to another
// stream between each, and returns the user events' IDs in log order.
func (f *fixture) appendUsers(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		id := uuid.New()
		ev := eventstore.EventData{ID: id, Type: "user.created.v1", Data: []byte(`{}`)}
		if _, err := f.store.Append(context.Background(), fmt.Sprintf("user-%d", i%7), eventstore.Any(), ev); err != nil {
			t.Fatal(err)
		}
		other := eventstore.EventData{ID: uuid.New(), Type: "org.created.v1", Data: []byte(`{}`)}
		if _, err := f.store.Append(context.Background(), "org-1", eventstore.Any(), other); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id.String())
	}
	return ids
}

func (f *fixture) applied(t *testing.T) []string {
	t.Helper()
	got, err := f.rdb.LRange(context.Background(), f.rec.key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// run starts the runner and returns a function that stops it.
func (f *fixture) run(t *testing.T, r *projections.Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			wg.Wait()
		}
	}
	t.Cleanup(stop)
	return stop
}

func (f *fixture) waitApplied(t *testing.T, want []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := f.applied(t)
		if len(got) >= len(want) || time.Now().After(deadline) {
			assertEqual(t, got, want)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func assertEqual(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("applied %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("applied event %d is %s, want %s (order, gap or duplicate)", i, got[i], want[i])
		}
	}
}

func TestRunnerCatchUpThenLiveThenResume(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b.Open)
			want := f.appendUsers(t, 40) // catch-up
			stop := f.run(t, f.runner)
			want = append(want, f.appendUsers(t, 40)...) // live
			f.waitApplied(t, want)
			stop()

			// Resume from the checkpoint: only the new events are applied.
			want = append(want, f.appendUsers(t, 10)...)
			f.run(t, f.newRunner(t))
			f.waitApplied(t, want)

			cp, err := checkpoint.Load(context.Background(), f.rdb, f.prefix, "recorder")
			if err != nil {
				t.Fatal(err)
			}
			last, err := f.store.LastPosition(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// The last event is an org event the projector skips; its
			// checkpoint still only reaches the last user event live.
			if cp.Less(eventstore.Position{Commit: last.Commit - 1, Prepare: last.Prepare - 1}) {
				t.Fatalf("checkpoint %v behind the last user event (log end %v)", cp, last)
			}
		})
	}
}

func TestRunnerFailedBatchCommitsNothingAndIsRetried(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b.Open)
			want := f.appendUsers(t, 50)
			f.rec.failNext.Store(2)
			f.run(t, f.runner)
			f.waitApplied(t, want) // exactly once each, although two batches failed
			if f.rec.failNext.Load() != 0 {
				t.Fatal("the injected failures never happened")
			}
		})
	}
}

func TestRebuild(t *testing.T) {
	f := newFixture(t, redistest.Real)
	want := f.appendUsers(t, 100)
	// A stale read model and checkpoint that a rebuild must replace.
	f.rdb.RPush(context.Background(), f.rec.key, "stale")
	f.rdb.Set(context.Background(), checkpoint.Key(f.prefix, "recorder"), checkpoint.Format(eventstore.Position{Commit: 3, Prepare: 3}), 0)

	var last, total uint64
	calls := 0
	err := f.runner.Rebuild(context.Background(), func(done, tot uint64) { last, total = done, tot; calls++ })
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	assertEqual(t, f.applied(t), want)
	if calls == 0 || last != total || total != 200 {
		t.Fatalf("progress: %d calls, last %d of %d; want it to end at 200 of 200", calls, last, total)
	}

	// While a runner holds the lease, a rebuild is refused.
	f.run(t, f.newRunner(t))
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = f.newRunner(t).Rebuild(context.Background(), nil)
		if errors.Is(err, projections.ErrBusy) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(err, projections.ErrBusy) {
		t.Fatalf("rebuild while a runner runs: err = %v, want ErrBusy", err)
	}
}

func TestWaiter(t *testing.T) {
	f := newFixture(t, redistest.Real)
	w := projections.NewWaiter(f.rdb, f.prefix)
	f.appendUsers(t, 5)
	lastID := uuid.New()
	res, err := f.store.Append(context.Background(), "user-x", eventstore.Any(), eventstore.EventData{ID: lastID, Type: "user.created.v1", Data: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}

	err = w.WaitFor(context.Background(), "recorder", res.Position, 50*time.Millisecond)
	if !errors.Is(err, projections.ErrNotCaughtUp) {
		t.Fatalf("wait with no runner: err = %v, want ErrNotCaughtUp", err)
	}
	f.run(t, f.runner)
	start := time.Now()
	if err := w.WaitFor(context.Background(), "recorder", res.Position, 5*time.Second); err != nil {
		t.Fatalf("wait with a runner: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("waited %v for a handful of events", d)
	}
	if got := f.applied(t); len(got) != 6 || got[5] != lastID.String() {
		t.Fatalf("after the wait the read model holds %v, want 6 events ending with %s", got, lastID)
	}
}

// TestIdleCheckpointPassesOtherStreams: while live, events of streams the
// projector does not read still move its checkpoint (so min_position waits
// end), and concurrent writes to both kinds of streams are applied exactly
// once, in order.
func TestIdleCheckpointPassesOtherStreams(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b.Open)
			f.run(t, f.runner)
			var want []string
			for round := 0; round < 5; round++ {
				want = append(want, f.appendUsers(t, 20)...)
				// Only foreign events at the end of the log.
				res, err := f.store.Append(context.Background(), "org-2", eventstore.Any(),
					eventstore.EventData{ID: uuid.New(), Type: "org.renamed.v1", Data: []byte(`{}`)})
				if err != nil {
					t.Fatal(err)
				}
				w := projections.NewWaiter(f.rdb, f.prefix)
				if err := w.WaitFor(context.Background(), "recorder", res.Position, 3*time.Second); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			f.waitApplied(t, want)
		})
	}
}

// countingSource counts the runner's reads of the log.
type countingSource struct {
	*embedded.Store
	reads atomic.Int32
}

func (c *countingSource) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	c.reads.Add(1)
	return c.Store.ReadAll(ctx, opts)
}

// TestBusyRunnerDoesNotReread: while the subscription delivers the
// projector's events, idle ticks do not read the log again; once it is
// quiet, a tick still moves the checkpoint past other streams' events.
func TestBusyRunnerDoesNotReread(t *testing.T) {
	f := newFixture(t, redistest.Real)
	src := &countingSource{Store: f.store}
	r, err := projections.NewRunner(projections.Config{
		Source: src, Redis: f.rdb, Prefix: f.prefix, MaxBatch: 16, LeaseTTL: time.Second, IdleCheck: 20 * time.Millisecond,
	}, projections.Projector{Name: "recorder", Prefixes: []string{"user-"}, Handler: f.rec})
	if err != nil {
		t.Fatal(err)
	}
	f.run(t, r)
	var want []string
	want = append(want, f.appendUsers(t, 1)...)
	f.waitApplied(t, want)

	// 30 ticks' worth of steady wanted (and unwanted) events.
	before := src.reads.Load()
	for end := time.Now().Add(600 * time.Millisecond); time.Now().Before(end); {
		want = append(want, f.appendUsers(t, 1)...)
		time.Sleep(5 * time.Millisecond)
	}
	f.waitApplied(t, want)
	// Rereading every tick reads the log about 60 times (two reads a
	// tick); a scheduling hiccup on a loaded machine may let a few ticks
	// see nothing delivered.
	if reads := src.reads.Load() - before; reads > 12 {
		t.Errorf("the log was read %d times in 30 busy ticks, want at most a few", reads)
	}

	// Quiet again: a foreign event at the end of the log is passed.
	res, err := f.store.Append(context.Background(), "org-2", eventstore.Any(),
		eventstore.EventData{ID: uuid.New(), Type: "org.renamed.v1", Data: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.NewWaiter(f.rdb, f.prefix).WaitFor(context.Background(), "recorder", res.Position, 3*time.Second); err != nil {
		t.Fatal(err)
	}
}
