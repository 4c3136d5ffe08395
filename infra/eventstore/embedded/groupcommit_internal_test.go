package embedded

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/google/uuid"
	"go.etcd.io/bbolt"
)

// gateOp holds the writer inside a batch until release is closed, so that
// requests queue up behind it.
type gateOp struct {
	entered chan struct{}
	release chan struct{}
}

func (g gateOp) apply(*batch) (outcome, error) {
	close(g.entered)
	<-g.release
	return outcome{}, nil
}

// failOp fails like a storage error.
type failOp struct{}

var errDiskOnFire = errors.New("disk on fire")

func (failOp) apply(*batch) (outcome, error) { return outcome{}, errDiskOnFire }

// errWrongRevision stands for "a *WrongExpectedRevisionError" in test
// tables.
var errWrongRevision = errors.New("wrong expected revision")

// canceledOp marks an op whose context is canceled after it was queued.
type canceledOp struct{ op }

// inOneBatch queues ops in order behind a gate, releases them, checks that
// the writer applied them in a single transaction, and returns their
// outcomes. The writer drains its queue once it has applied the gate, so
// the ops share the gate's transaction.
func inOneBatch(t *testing.T, s *Store, ops ...op) []outcome {
	t.Helper()
	gate := gateOp{entered: make(chan struct{}), release: make(chan struct{})}
	gateDone := make(chan struct{})
	go func() {
		defer close(gateDone)
		// The gate writes nothing; its outcome is the batch's.
		_, _ = s.submit(context.Background(), gate)
	}()
	<-gate.entered

	outs := make([]outcome, len(ops))
	var wg sync.WaitGroup
	var cancels []context.CancelFunc
	for i, o := range ops {
		ctx, cancel := context.WithCancel(context.Background())
		if c, ok := o.(canceledOp); ok {
			o = c.op
			cancels = append(cancels, cancel)
		} else {
			defer cancel()
		}
		wg.Go(func() { outs[i].result, outs[i].err = s.submit(ctx, o) })
		waitUntil(t, func() bool { return len(s.requests) == i+1 })
	}
	for _, cancel := range cancels {
		cancel()
	}
	before := txID(t, s)
	close(gate.release)
	wg.Wait()
	<-gateDone
	if commits := txID(t, s) - before; commits > 1 {
		t.Fatalf("ops were applied in %d commits, want 1", commits)
	}
	return outs
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// txID returns the ID of the last committed write transaction.
func txID(t *testing.T, s *Store) int {
	t.Helper()
	var id int
	if err := s.db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func events(n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "t.v1", Data: []byte(`{}`)}
	}
	return evs
}

func appendTo(stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData) op {
	return newAppendOp(stream, exp, evs)
}

func TestGroupCommit(t *testing.T) {
	retried := events(2)
	type want struct {
		err  error // errWrongRevision for a *WrongExpectedRevisionError
		next uint64
		pos  uint64
	}
	tests := []struct {
		name string
		ops  []op
		want []want
		// streams maps stream names to the revisions they must hold.
		streams map[string][]uint64
		logLen  int
		// nextPos is the position the next append gets.
		nextPos uint64
	}{
		{
			name: "requests to one stream see each other",
			ops: []op{
				appendTo("s", eventstore.NoStream(), events(1)),
				appendTo("s", eventstore.NoStream(), events(1)),
				appendTo("s", eventstore.Exact(0), events(2)),
				appendTo("s", eventstore.Exact(0), events(1)),
				appendTo("s", eventstore.StreamExists(), events(1)),
			},
			want:    []want{{next: 0, pos: 1}, {err: errWrongRevision}, {next: 2, pos: 3}, {err: errWrongRevision}, {next: 3, pos: 4}},
			streams: map[string][]uint64{"s": {0, 1, 2, 3}},
			logLen:  4,
			nextPos: 5,
		},
		{
			name: "a retry in the same batch is idempotent",
			ops: []op{
				appendTo("s", eventstore.NoStream(), retried),
				appendTo("s", eventstore.NoStream(), retried),
				appendTo("s", eventstore.Any(), retried),
			},
			want:    []want{{next: 1, pos: 2}, {next: 1, pos: 2}, {next: 1, pos: 2}},
			streams: map[string][]uint64{"s": {0, 1}},
			logLen:  2,
			nextPos: 3,
		},
		{
			name: "a rejected request does not disturb the others",
			ops: []op{
				appendTo("a", eventstore.NoStream(), events(2)),
				appendTo("b", eventstore.Exact(5), events(3)),
				appendTo("c", eventstore.Any(), events(1)),
			},
			want:    []want{{next: 1, pos: 2}, {err: errWrongRevision}, {next: 0, pos: 3}},
			streams: map[string][]uint64{"a": {0, 1}, "c": {0}},
			logLen:  3,
			nextPos: 4,
		},
		{
			name: "delete and recreate in one batch",
			ops: []op{
				appendTo("s", eventstore.NoStream(), events(2)),
				&deleteOp{stream: "s", expected: eventstore.Exact(1)},
				appendTo("s", eventstore.NoStream(), events(1)),
			},
			want:    []want{{next: 1, pos: 2}, {pos: 2}, {next: 2, pos: 3}},
			streams: map[string][]uint64{"s": {2}},
			logLen:  3,
			nextPos: 4,
		},
		{
			name: "tombstone a stream appended in the same batch",
			ops: []op{
				appendTo("gone", eventstore.NoStream(), events(2)),
				appendTo("kept", eventstore.NoStream(), events(1)),
				&tombstoneOp{stream: "gone", expected: eventstore.Exact(1)},
				appendTo("gone", eventstore.Any(), events(1)),
			},
			want:    []want{{next: 1, pos: 2}, {next: 0, pos: 3}, {pos: 3}, {err: eventstore.ErrStreamDeleted}},
			streams: map[string][]uint64{"kept": {0}},
			logLen:  1,
			nextPos: 4,
		},
		{
			name: "a request canceled while queued is skipped",
			ops: []op{
				canceledOp{appendTo("a", eventstore.NoStream(), events(1))},
				appendTo("b", eventstore.NoStream(), events(1)),
			},
			want:    []want{{err: context.Canceled}, {next: 0, pos: 1}},
			streams: map[string][]uint64{"b": {0}},
			logLen:  1,
			nextPos: 2,
		},
		{
			name: "a storage failure fails the whole batch",
			ops: []op{
				appendTo("a", eventstore.NoStream(), events(1)),
				failOp{},
				appendTo("b", eventstore.NoStream(), events(1)),
			},
			want:    []want{{err: errDiskOnFire}, {err: errDiskOnFire}, {err: errDiskOnFire}},
			streams: map[string][]uint64{},
			logLen:  0,
			nextPos: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "events.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()

			outs := inOneBatch(t, s, tt.ops...)

			for i, w := range tt.want {
				out := outs[i]
				switch {
				case w.err == errWrongRevision:
					if !eventstore.IsWrongExpectedRevision(out.err) {
						t.Errorf("op %d: err = %v, want WrongExpectedRevisionError", i, out.err)
					}
				case w.err != nil:
					if !errors.Is(out.err, w.err) {
						t.Errorf("op %d: err = %v, want %v", i, out.err, w.err)
					}
				case out.err != nil:
					t.Errorf("op %d: %v", i, out.err)
				case out.result.NextRevision != w.next || out.result.Position != position(w.pos):
					t.Errorf("op %d: result %+v, want revision %d position %d", i, out.result, w.next, w.pos)
				}
			}
			ctx := context.Background()
			for stream, revs := range tt.streams {
				evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
				if err != nil {
					t.Fatalf("stream %s: %v", stream, err)
				}
				var got []uint64
				for _, ev := range evs {
					got = append(got, ev.Revision)
				}
				if !slices.Equal(got, revs) {
					t.Errorf("stream %s: revisions %v, want %v", stream, got, revs)
				}
			}
			all, err := s.ReadAll(ctx, eventstore.ReadAllOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tt.logLen {
				t.Errorf("log holds %d events, want %d", len(all), tt.logLen)
			}
			// Positions continue densely after the batch, also after a
			// failed one.
			res, err := s.Append(ctx, "after", eventstore.NoStream(), events(1)...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Position != position(tt.nextPos) {
				t.Errorf("next append at %+v, want %d", res.Position, tt.nextPos)
			}
		})
	}
}

// A request that arrives alone is committed at once; the writer does not
// wait for company.
func TestLoneAppendIsNotDelayed(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "events.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	ctx := context.Background()
	for i := range 20 {
		before := txID(t, s)
		if _, err := s.Append(ctx, "s", eventstore.Any(), events(1)...); err != nil {
			t.Fatal(err)
		}
		if after := txID(t, s); after != before+1 {
			t.Fatalf("append %d: %d commits, want 1", i, after-before)
		}
	}
}
