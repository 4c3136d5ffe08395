package projections_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

// bulkRecorder is the recorder with a bulk path: its loader keeps the event
// IDs in memory and Flush pushes them in two halves, so an injected failure
// between the halves leaves a half-written read model behind.
type bulkRecorder struct {
	*recorder
	rdb       redis.UniversalClient
	noBulk    bool
	failFlush atomic.Int32 // flushes left to fail after the first half
	bulks     atomic.Int32 // loaders handed out
}

func (b *bulkRecorder) Bulk() (projections.BulkLoader, bool) {
	if b.noBulk {
		return nil, false
	}
	b.bulks.Add(1)
	return &recorderLoad{b: b}, true
}

type recorderLoad struct {
	b   *bulkRecorder
	ids []any
}

func (l *recorderLoad) Add(_ context.Context, events []eventstore.RecordedEvent) error {
	for _, ev := range events {
		l.ids = append(l.ids, ev.ID.String())
	}
	return nil
}

func (l *recorderLoad) Flush(ctx context.Context) error {
	half := len(l.ids) / 2
	for i, part := range [][]any{l.ids[:half], l.ids[half:]} {
		if i == 1 && l.b.failFlush.Load() > 0 {
			l.b.failFlush.Add(-1)
			return errors.New("injected flush failure")
		}
		if len(part) > 0 {
			if err := l.b.rdb.RPush(ctx, l.b.key, part...).Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// bulkFixture is the runner fixture with a bulk recorder and a Reset that
// counts its calls and can be told to fail.
type bulkFixture struct {
	*fixture
	h         *bulkRecorder
	resets    atomic.Int32
	failReset atomic.Int32
}

func newBulkFixture(t *testing.T, open func(t *testing.T) (redis.UniversalClient, string)) *bulkFixture {
	t.Helper()
	f := &bulkFixture{fixture: newFixture(t, open)}
	f.h = &bulkRecorder{recorder: f.rec, rdb: f.rdb}
	return f
}

func (f *bulkFixture) runner(t *testing.T) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(projections.Config{
		Source: f.store, Redis: f.rdb, Prefix: f.prefix, MaxBatch: 16, LeaseTTL: time.Second,
	}, projections.Projector{
		Name:     "recorder",
		Prefixes: []string{"user-"},
		Handler:  f.h,
		Reset: func(ctx context.Context) error {
			if f.failReset.Load() > 0 {
				f.failReset.Add(-1)
				return errors.New("injected reset failure")
			}
			f.resets.Add(1)
			return f.rdb.Del(ctx, f.rec.key).Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *bulkFixture) checkpointAtEnd(t *testing.T) {
	t.Helper()
	cp, err := checkpoint.Load(context.Background(), f.rdb, f.prefix, "recorder")
	if err != nil {
		t.Fatal(err)
	}
	last, err := f.store.LastPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cp != last {
		t.Fatalf("checkpoint %v, want the log's end %v", cp, last)
	}
}

func TestBulkRebuild(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newBulkFixture(t, b.Open)
			want := f.appendUsers(t, 60)
			// A stale read model and checkpoint that the rebuild replaces.
			f.rdb.RPush(context.Background(), f.rec.key, "stale")
			f.rdb.Set(context.Background(), checkpoint.Key(f.prefix, "recorder"), checkpoint.Format(eventstore.Position{Commit: 3, Prepare: 3}), 0)

			var last, total uint64
			err := f.runner(t).Rebuild(context.Background(), func(done, tot uint64) { last, total = done, tot })
			if err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			assertEqual(t, f.applied(t), want)
			if f.h.bulks.Load() != 1 || f.rec.batches.Load() != 0 {
				t.Fatalf("%d bulk loads and %d batches, want the one bulk load only", f.h.bulks.Load(), f.rec.batches.Load())
			}
			if last != total || total != 120 {
				t.Fatalf("progress ended at %d of %d, want 120 of 120", last, total)
			}
			f.checkpointAtEnd(t)

			// A runner started afterwards resumes from the checkpoint,
			// batch by batch, without rebuilding.
			f.run(t, f.runner(t))
			want = append(want, f.appendUsers(t, 10)...)
			f.waitApplied(t, want)
			if f.resets.Load() != 1 || f.h.bulks.Load() != 1 {
				t.Fatalf("after the rebuild: %d resets and %d bulk loads, want 1 and 1", f.resets.Load(), f.h.bulks.Load())
			}
		})
	}
}

// TestInterruptedRebuildIsRedone: a rebuild that fails after marking
// itself, with the read model reset or not, half-written or not, is redone
// from scratch by the next runner to start, never resumed.
func TestInterruptedRebuildIsRedone(t *testing.T) {
	cases := []struct {
		name   string
		noBulk bool
		fail   func(f *bulkFixture)
	}{
		{"bulk, reset fails", false, func(f *bulkFixture) { f.failReset.Store(1) }},
		{"bulk, flush fails halfway", false, func(f *bulkFixture) { f.h.failFlush.Store(1) }},
		{"batches, reset fails", true, func(f *bulkFixture) { f.failReset.Store(1) }},
	}
	for _, b := range redistest.Backends() {
		for _, tc := range cases {
			t.Run(b.Name+"/"+tc.name, func(t *testing.T) {
				f := newBulkFixture(t, b.Open)
				f.h.noBulk = tc.noBulk
				want := f.appendUsers(t, 40)
				// A read model and checkpoint from before, which a resumed
				// runner would keep.
				stop := f.run(t, f.runner(t))
				f.waitApplied(t, want)
				stop()
				f.rdb.RPush(context.Background(), f.rec.key, "stale")

				tc.fail(f)
				if err := f.runner(t).Rebuild(context.Background(), nil); err == nil {
					t.Fatal("rebuild succeeded despite the injected failure")
				}
				if tc.name == "bulk, flush fails halfway" {
					if got := f.applied(t); len(got) != len(want)/2 {
						t.Fatalf("after the failed flush the read model holds %d events, want the first half (%d)", len(got), len(want)/2)
					}
				}
				resets, bulks := f.resets.Load(), f.h.bulks.Load()

				f.run(t, f.runner(t))
				want = append(want, f.appendUsers(t, 5)...)
				f.waitApplied(t, want)
				if f.resets.Load() != resets+1 {
					t.Fatalf("the runner reset the read model %d times, want once", f.resets.Load()-resets)
				}
				if wantBulks := bulks + 1; !tc.noBulk && f.h.bulks.Load() != wantBulks {
					t.Fatalf("%d bulk loads, want %d", f.h.bulks.Load(), wantBulks)
				}
			})
		}
	}
}
