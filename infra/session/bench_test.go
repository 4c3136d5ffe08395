package session_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/session"
	"github.com/clarynext/usermgmt/readmodels/keyspace"
)

// BenchmarkLookup measures parallel lookups of 1000 live sessions against
// the real Redis at REDIS_URL (skipped without it), with the real clock, so
// most lookups do not rewrite the last touch.
func BenchmarkLookup(b *testing.B) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		b.Skip("REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	prefix := "bench:" + uuid.NewString() + ":"
	defer func() {
		if _, err := keyspace.DeletePrefix(ctx, rdb, prefix); err != nil {
			b.Errorf("clean up: %v", err)
		}
	}()

	store := session.New(rdb, prefix, session.Config{})
	tokens := make([]string, 1000)
	for i := range tokens {
		if tokens[i], _, err = store.Create(ctx, uuid.New(), time.Now(), session.Info{IP: "192.0.2.1", UserAgent: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			token := tokens[next.Add(1)%int64(len(tokens))]
			if _, err := store.Lookup(ctx, token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
