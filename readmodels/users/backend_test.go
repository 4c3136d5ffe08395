package users_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// env is one test's view of one backend: a client and a Store under a
// random key prefix that the test's cleanup deletes.
type env struct {
	rdb    redis.UniversalClient
	prefix string
	store  *users.Store
	// inProcess is set for miniredis, whose sorted sets re-sort on every
	// range read: tests scale their data down for it.
	inProcess bool
}

// forEachBackend runs fn against the real Redis at REDIS_URL and against an
// in-process miniredis: one suite, two backends.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("redis", func(t *testing.T) { fn(t, newEnv(t, realRedis(t))) })
	t.Run("miniredis", func(t *testing.T) {
		m := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { rdb.Close() })
		e := newEnv(t, rdb)
		e.inProcess = true
		fn(t, e)
	})
}

// realRedis connects to REDIS_URL; the project's test runner always sets it.
func realRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Fatal("REDIS_URL is not set: run the tests with `go run ./cmd/runtests`, " +
			"or set REDIS_URL=redis://127.0.0.1:6379/0 for a Redis of your own")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at REDIS_URL does not answer: %v", err)
	}
	return rdb
}

// newEnv picks a random prefix and deletes its keys (only those) when the
// test ends.
func newEnv(t *testing.T, rdb redis.UniversalClient) *env {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "test:users:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deletePrefix(t, rdb, prefix) })
	return &env{rdb: rdb, prefix: prefix, store: users.New(rdb, prefix)}
}

// sibling returns a fresh env on the same backend.
func (e *env) sibling(t *testing.T) *env {
	s := newEnv(t, e.rdb)
	s.inProcess = e.inProcess
	return s
}

// deletePrefix removes every key under prefix with SCAN and UNLINK.
func deletePrefix(t testing.TB, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 10000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
				t.Errorf("unlink: %v", err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s*: %v", prefix, err)
	}
	if len(batch) > 0 {
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			t.Errorf("unlink: %v", err)
		}
	}
}

// keys lists the keys under the env's prefix.
func (e *env) keys(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	iter := e.rdb.Scan(ctx, 0, e.prefix+"*", 10000).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val()[len(e.prefix):])
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return out
}

// insert numbers and puts new users, as the projector does: each in its own
// MULTI/EXEC. It returns the docs with their numbers.
func (e *env) insert(t *testing.T, s *users.Store, docs ...users.Doc) []users.Doc {
	t.Helper()
	ctx := context.Background()
	out := make([]users.Doc, len(docs))
	for i, d := range docs {
		num, err := s.Number(ctx, d.ID)
		if err != nil {
			t.Fatalf("number: %v", err)
		}
		d.Num = num
		e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(ctx, pipe, nil, d) })
		out[i] = d
	}
	return out
}

// exec runs queue in a MULTI/EXEC.
func (e *env) exec(t *testing.T, queue func(redis.Pipeliner) error) {
	t.Helper()
	ctx := context.Background()
	_, err := e.rdb.TxPipelined(ctx, queue)
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
}

// search runs q and fails the test on error.
func (e *env) search(t *testing.T, s *users.Store, q users.Query) users.Page {
	t.Helper()
	p, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return p
}

// searchAll follows the cursors from the first page to the last and
// returns every user in order, failing on a page whose total differs.
func (e *env) searchAll(t *testing.T, s *users.Store, q users.Query) []users.Doc {
	t.Helper()
	var all []users.Doc
	first := e.search(t, s, q)
	p := first
	for pages := 1; ; pages++ {
		if p.Total != first.Total {
			t.Fatalf("total changed between pages: %d then %d", first.Total, p.Total)
		}
		all = append(all, p.Users...)
		if p.NextCursor == "" {
			return all
		}
		if pages > 10000 {
			t.Fatal("more than 10000 pages")
		}
		q.Cursor = p.NextCursor
		p = e.search(t, s, q)
	}
}
