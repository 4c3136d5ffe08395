package loginhistory_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/loginhistory"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// entry is attempt number pos: a failure, or a success when ok.
func entry(pos uint64, ok bool) loginhistory.Entry {
	e := loginhistory.Entry{
		At: t0.Add(time.Duration(pos) * time.Second), Success: ok, Position: pos,
		IP: "192.0.2.1", UserAgent: "Mozilla/5.0", Device: "desktop", Browser: "Firefox 121", OS: "Linux",
	}
	if !ok {
		e.Reason = "wrong_password"
	}
	return e
}

type fixture struct {
	rdb    redis.UniversalClient
	prefix string
	store  *loginhistory.Store
}

func open(t *testing.T, b redistest.Backend) fixture {
	t.Helper()
	rdb, prefix := b.Open(t)
	return fixture{rdb: rdb, prefix: prefix, store: loginhistory.New(rdb, prefix)}
}

func (f fixture) add(t *testing.T, id uuid.UUID, entries ...loginhistory.Entry) {
	t.Helper()
	ctx := context.Background()
	pipe := f.rdb.TxPipeline()
	for _, e := range entries {
		f.store.Add(ctx, pipe, id, e)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// positions lists the positions of a page's entries.
func positions(p loginhistory.Page) []uint64 {
	var out []uint64
	for _, e := range p.Entries {
		out = append(out, e.Position)
	}
	return out
}

func (f fixture) list(t *testing.T, id uuid.UUID, cursor string, limit int) loginhistory.Page {
	t.Helper()
	p, err := f.store.List(context.Background(), id, cursor, limit)
	if err != nil {
		t.Fatalf("list after %q: %v", cursor, err)
	}
	return p
}

// listAll pages through the whole history.
func (f fixture) listAll(t *testing.T, id uuid.UUID) []uint64 {
	t.Helper()
	var all []uint64
	cursor := ""
	for {
		p := f.list(t, id, cursor, loginhistory.MaxLimit)
		all = append(all, positions(p)...)
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
}

func TestPagination(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := open(t, b)
			id, other := uuid.New(), uuid.New()
			// Out of order, as a rebuild never delivers them but a test can.
			f.add(t, id, entry(30, false), entry(10, true), entry(70, true), entry(50, false), entry(20, false), entry(60, false), entry(40, true))
			f.add(t, other, entry(35, true))

			var got [][]uint64
			cursor := ""
			for {
				p := f.list(t, id, cursor, 3)
				got = append(got, positions(p))
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
			}
			want := [][]uint64{{70, 60, 50}, {40, 30, 20}, {10}}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pages %v, want %v", got, want)
			}
			// An exact fit ends without a cursor.
			if p := f.list(t, id, "", 7); len(p.Entries) != 7 || p.NextCursor != "" {
				t.Fatalf("exact page %v next %q", positions(p), p.NextCursor)
			}
			// Entries come back as stored.
			if p := f.list(t, id, "", 1); !reflect.DeepEqual(p.Entries, []loginhistory.Entry{entry(70, true)}) {
				t.Fatalf("entry %+v", p.Entries)
			}
			// The default limit, and a user without history.
			if p := f.list(t, id, "", 0); len(p.Entries) != 7 {
				t.Fatalf("default limit: %v", positions(p))
			}
			if p := f.list(t, uuid.New(), "", 0); len(p.Entries) != 0 || p.NextCursor != "" {
				t.Fatalf("unknown user: %+v", p)
			}
		})
	}
}

func TestCursorIsStableWhileAttemptsArrive(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := open(t, b)
			id := uuid.New()
			for pos := uint64(1); pos <= 10; pos++ {
				f.add(t, id, entry(pos, pos%3 == 0))
			}
			first := f.list(t, id, "", 4)
			if !reflect.DeepEqual(positions(first), []uint64{10, 9, 8, 7}) {
				t.Fatalf("first page %v", positions(first))
			}
			f.add(t, id, entry(11, false), entry(12, true))
			second := f.list(t, id, first.NextCursor, 4)
			if !reflect.DeepEqual(positions(second), []uint64{6, 5, 4, 3}) {
				t.Fatalf("second page %v after new attempts", positions(second))
			}
			third := f.list(t, id, second.NextCursor, 4)
			if !reflect.DeepEqual(positions(third), []uint64{2, 1}) || third.NextCursor != "" {
				t.Fatalf("third page %v next %q", positions(third), third.NextCursor)
			}
			if fresh := f.list(t, id, "", 2); !reflect.DeepEqual(positions(fresh), []uint64{12, 11}) {
				t.Fatalf("a fresh first page %v misses the new attempts", positions(fresh))
			}
		})
	}
}

func TestCap(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := open(t, b)
			id := uuid.New()
			var entries []loginhistory.Entry
			for pos := uint64(1); pos <= loginhistory.MaxEntries+5; pos++ {
				entries = append(entries, entry(pos, pos == 3))
			}
			f.add(t, id, entries...)
			all := f.listAll(t, id)
			if len(all) != loginhistory.MaxEntries || all[0] != loginhistory.MaxEntries+5 || all[len(all)-1] != 6 {
				t.Fatalf("%d entries from %d to %d; want the newest %d", len(all), all[0], all[len(all)-1], loginhistory.MaxEntries)
			}
			// The last success survives although the cap dropped it.
			last, err := f.store.LastLogin(context.Background(), id)
			if err != nil || !last.Equal(entry(3, true).At) {
				t.Fatalf("last login %v, %v", last, err)
			}
			// An old attempt replayed after the cap is trimmed again.
			f.add(t, id, entry(1, false))
			if again := f.listAll(t, id); !reflect.DeepEqual(again, all) {
				t.Fatalf("a replayed old attempt changed the history: %d entries, oldest %d", len(again), again[len(again)-1])
			}
		})
	}
}

func TestInvalidQueries(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := open(t, b)
			id := uuid.New()
			f.add(t, id, entry(1, true), entry(2, false))
			valid := f.list(t, id, "", 1).NextCursor
			tests := []struct {
				name   string
				cursor string
				limit  int
				want   error
			}{
				{"not base64", "!!!!!!!!!!!", 10, loginhistory.ErrInvalidCursor},
				{"too short", valid[:len(valid)-1], 10, loginhistory.ErrInvalidCursor},
				{"too long", valid + "A", 10, loginhistory.ErrInvalidCursor},
				{"padded", valid + "=", 10, loginhistory.ErrInvalidCursor},
				{"non-canonical last character", valid[:len(valid)-1] + "B", 10, loginhistory.ErrInvalidCursor},
				{"negative limit", "", -1, loginhistory.ErrInvalidLimit},
				{"limit too large", "", loginhistory.MaxLimit + 1, loginhistory.ErrInvalidLimit},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					_, err := f.store.List(context.Background(), id, tc.cursor, tc.limit)
					if !errors.Is(err, tc.want) || !errors.Is(err, loginhistory.ErrInvalidQuery) {
						t.Fatalf("err = %v, want %v", err, tc.want)
					}
				})
			}
			if p := f.list(t, id, valid, loginhistory.MaxLimit); !reflect.DeepEqual(positions(p), []uint64{1}) {
				t.Fatalf("valid cursor: %v", positions(p))
			}
		})
	}
}

func TestLastLoginAndReplay(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := open(t, b)
			id := uuid.New()
			if last, err := f.store.LastLogin(ctx, id); err != nil || !last.IsZero() {
				t.Fatalf("never logged in: %v, %v", last, err)
			}
			f.add(t, id, entry(1, true), entry(2, false), entry(5, true), entry(6, false))
			// Replaying everything, in any order, changes nothing.
			f.add(t, id, entry(5, true), entry(1, true), entry(6, false), entry(2, false))
			if p := f.list(t, id, "", 0); !reflect.DeepEqual(positions(p), []uint64{6, 5, 2, 1}) {
				t.Fatalf("after replay %v", positions(p))
			}
			last, err := f.store.LastLogin(ctx, id)
			if err != nil || !last.Equal(entry(5, true).At) {
				t.Fatalf("last login %v, %v; want %v", last, err, entry(5, true).At)
			}

			pipe := f.rdb.TxPipeline()
			f.store.Remove(ctx, pipe, id)
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if p := f.list(t, id, "", 0); len(p.Entries) != 0 {
				t.Fatalf("removed history still lists %v", positions(p))
			}
			if last, _ := f.store.LastLogin(ctx, id); !last.IsZero() {
				t.Fatalf("removed history still has a last login %v", last)
			}
		})
	}
}

func TestKeysStayUnderThePrefix(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := open(t, b)
			f.add(t, uuid.New(), entry(1, true), entry(2, false))
			keys, err := f.rdb.Keys(ctx, f.prefix+"*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 {
				t.Fatalf("keys %q, want a history and a last login", keys)
			}
			for _, k := range keys {
				if !strings.HasPrefix(k, f.prefix) {
					t.Fatalf("key %q outside %q", k, f.prefix)
				}
			}
			if err := f.store.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if n, _ := f.rdb.Keys(ctx, f.prefix+"*").Result(); len(n) != 0 {
				t.Fatalf("reset left %q", n)
			}
		})
	}
}
