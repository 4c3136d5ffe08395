package mailqueue_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/mailqueue"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

type fixture struct {
	rdb    redis.UniversalClient
	prefix string
	q      *mailqueue.Queue
}

func open(t *testing.T, b redistest.Backend) fixture {
	t.Helper()
	rdb, prefix := b.Open(t)
	return fixture{rdb: rdb, prefix: prefix, q: mailqueue.New(rdb, prefix)}
}

func item(id string) mailqueue.Item {
	return mailqueue.Item{EventID: id, Kind: "invitation", UserID: uuid.New(), TokenID: uuid.New(), CorrelationID: "req-" + id}
}

// enqueue adds items in one transaction, each due at the matching time.
func (f fixture) enqueue(t *testing.T, items []mailqueue.Item, due ...time.Time) {
	t.Helper()
	ctx := context.Background()
	pipe := f.rdb.TxPipeline()
	for i, it := range items {
		if err := f.q.Enqueue(ctx, pipe, it, due[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) claim(t *testing.T, now time.Time, lease time.Duration, max int) []string {
	t.Helper()
	items, err := f.q.Claim(context.Background(), now, lease, max)
	if err != nil {
		t.Fatalf("claim at %v: %v", now, err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.EventID)
	}
	return ids
}

func (f fixture) len(t *testing.T) int {
	t.Helper()
	n, err := f.q.Len(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClaimLeaseAck(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := open(t, b)
			a, bb, c, d := item("a"), item("b"), item("c"), item("d")
			f.enqueue(t, []mailqueue.Item{c, a, bb, d}, t0.Add(2*time.Second), t0, t0.Add(time.Second), t0.Add(time.Hour))
			if n := f.len(t); n != 4 {
				t.Fatalf("len %d", n)
			}

			// Due items come oldest first, up to max, whole.
			items, err := f.q.Claim(ctx, t0.Add(5*time.Second), time.Minute, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(items, []mailqueue.Item{a, bb}) {
				t.Fatalf("claimed %+v, want a and b", items)
			}
			if got := f.claim(t, t0.Add(5*time.Second), time.Minute, 10); !slices.Equal(got, []string{"c"}) {
				t.Fatalf("second claim %v, want [c]: a and b are leased, d is not due", got)
			}
			if got := f.claim(t, t0.Add(30*time.Second), time.Minute, 10); len(got) != 0 {
				t.Fatalf("claim within the leases %v", got)
			}

			// A claim that is neither acked nor retried comes back after its lease.
			if err := f.q.Ack(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if got := f.claim(t, t0.Add(65*time.Second), time.Minute, 10); !slices.Equal(got, []string{"b", "c"}) {
				t.Fatalf("after the leases %v, want [b c]", got)
			}
			if n := f.len(t); n != 3 {
				t.Fatalf("len %d after one ack", n)
			}
			if _, _, ok, err := f.q.Get(ctx, "a"); ok || err != nil {
				t.Fatalf("acked item still queued (%v, %v)", ok, err)
			}
			if err := f.q.Ack(ctx, "a"); err != nil {
				t.Fatalf("acking twice: %v", err)
			}
			if got := f.claim(t, t0.Add(2*time.Hour), time.Minute, 0); got != nil {
				t.Fatalf("max 0 claimed %v", got)
			}
			if _, err := f.q.Claim(ctx, t0, 0, 1); err == nil {
				t.Fatal("a zero lease was accepted")
			}
		})
	}
}

func TestEnqueueIsIdempotent(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := open(t, b)
			a := item("a")
			f.enqueue(t, []mailqueue.Item{a}, t0)
			claimed, err := f.q.Claim(ctx, t0, time.Minute, 1)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claim %v, %v", claimed, err)
			}
			if err := f.q.Retry(ctx, claimed[0], t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			// A replayed event neither resets the attempts nor the due time.
			f.enqueue(t, []mailqueue.Item{a}, t0)
			got, due, ok, err := f.q.Get(ctx, "a")
			if err != nil || !ok {
				t.Fatalf("get: %v, %v", ok, err)
			}
			want := a
			want.Attempts = 1
			if got != want || !due.Equal(t0.Add(time.Hour)) {
				t.Fatalf("after a replay: %+v due %v; want %+v due %v", got, due, want, t0.Add(time.Hour))
			}
			if n := f.len(t); n != 1 {
				t.Fatalf("len %d", n)
			}
			if err := f.q.Enqueue(ctx, f.rdb.TxPipeline(), mailqueue.Item{}, t0); !errors.Is(err, mailqueue.ErrNoEventID) {
				t.Fatalf("item without an ID: %v", err)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := open(t, b)
			f.enqueue(t, []mailqueue.Item{item("a"), item("b")}, t0, t0)
			claimed, err := f.q.Claim(ctx, t0, time.Minute, 2)
			if err != nil || len(claimed) != 2 {
				t.Fatalf("claim %v, %v", claimed, err)
			}
			for i := range 3 {
				if err := f.q.Retry(ctx, claimed[0], t0.Add(10*time.Second)); err != nil {
					t.Fatal(err)
				}
				got, _, _, _ := f.q.Get(ctx, "a")
				if got.Attempts != 1 {
					t.Fatalf("round %d: attempts %d; Retry stores the claimed item's attempts + 1", i, got.Attempts)
				}
			}
			// The retry is due at its new time, earlier than the lease's end.
			if got := f.claim(t, t0.Add(9*time.Second), time.Minute, 10); len(got) != 0 {
				t.Fatalf("claimed %v before the retry is due", got)
			}
			again, err := f.q.Claim(ctx, t0.Add(10*time.Second), time.Minute, 10)
			if err != nil || len(again) != 1 || again[0].EventID != "a" || again[0].Attempts != 1 {
				t.Fatalf("retried claim %+v, %v", again, err)
			}
			if err := f.q.Retry(ctx, again[0], t0.Add(20*time.Second)); err != nil {
				t.Fatal(err)
			}
			if got, _, _, _ := f.q.Get(ctx, "a"); got.Attempts != 2 {
				t.Fatalf("attempts %d, want 2", got.Attempts)
			}

			// A late retry of an item acked meanwhile does not bring it back.
			if err := f.q.Ack(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if err := f.q.Retry(ctx, claimed[1], t0); err != nil {
				t.Fatal(err)
			}
			if _, _, ok, _ := f.q.Get(ctx, "b"); ok {
				t.Fatal("a retry resurrected an acked item")
			}
			if n := f.len(t); n != 1 {
				t.Fatalf("len %d", n)
			}
		})
	}
}

// Dispatchers claiming at the same time never get the same item.
func TestConcurrentClaims(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := open(t, b)
			const n = 200
			var items []mailqueue.Item
			var due []time.Time
			for i := range n {
				items = append(items, item(fmt.Sprintf("e%03d", i)))
				due = append(due, t0.Add(time.Duration(i)*time.Millisecond))
			}
			f.enqueue(t, items, due...)
			var (
				mu   sync.Mutex
				seen = map[string]int{}
				wg   sync.WaitGroup
			)
			for range 8 {
				wg.Go(func() {
					for {
						got, err := f.q.Claim(context.Background(), t0.Add(time.Second), time.Hour, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, it := range got {
							seen[it.EventID]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(seen) != n {
				t.Fatalf("%d items claimed, want %d", len(seen), n)
			}
			for id, c := range seen {
				if c != 1 {
					t.Fatalf("item %s claimed %d times", id, c)
				}
			}
		})
	}
}

func TestKeysStayUnderThePrefix(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := open(t, b)
			f.enqueue(t, []mailqueue.Item{item("a"), item("b")}, t0, t0)
			keys, err := f.rdb.Keys(ctx, f.prefix+"*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 {
				t.Fatalf("keys %q, want the items and the due index", keys)
			}
			for _, k := range keys {
				if !strings.HasPrefix(k, f.prefix) {
					t.Fatalf("key %q outside %q", k, f.prefix)
				}
			}
			if err := f.q.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if left, _ := f.rdb.Keys(ctx, f.prefix+"*").Result(); len(left) != 0 {
				t.Fatalf("reset left %q", left)
			}
			if n := f.len(t); n != 0 {
				t.Fatalf("len %d after reset", n)
			}
		})
	}
}
