// Package redistest gives tests an isolated slice of a Redis server: the real
// one at REDIS_URL, or an in-process miniredis. Isolation is by key prefix;
// cleanup deletes only the test's own keys, never the whole database.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/keyspace"
)

// Backend is one kind of Redis a read-model test runs against.
type Backend struct {
	Name string
	Open func(t *testing.T) (rdb redis.UniversalClient, prefix string)
}

// Backends are the real Redis and miniredis, for tests that run against both.
func Backends() []Backend {
	return []Backend{{"redis", Real}, {"miniredis", Mini}}
}

// Real connects to the Redis at REDIS_URL and returns a client and a fresh
// key prefix whose keys are deleted when the test ends. Without REDIS_URL
// the test fails: run the suite with `go run ./cmd/runtests`, which starts
// a Redis server when none is configured.
func Real(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Fatal("REDIS_URL is not set: run the tests with `go run ./cmd/runtests`, which provides a Redis server")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at REDIS_URL: %v", err)
	}
	prefix := Prefix(t)
	t.Cleanup(func() {
		DeletePrefix(t, rdb, prefix)
		_ = rdb.Close()
	})
	return rdb, prefix
}

// Mini starts an in-process miniredis for the test.
func Mini(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, Prefix(t)
}

// Prefix returns a key prefix unique to this test run.
func Prefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "test:" + hex.EncodeToString(b) + ":"
}

// DeletePrefix removes every key under prefix.
func DeletePrefix(t *testing.T, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	if _, err := keyspace.DeletePrefix(context.Background(), rdb, prefix); err != nil {
		t.Errorf("clean up redis keys %s*: %v", prefix, err)
	}
}
