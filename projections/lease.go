package projections

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A lease makes one runner at a time the writer of a projector, across
// processes: the server's runner and a `projections rebuild` must never
// interleave their writes.
type lease struct {
	rdb   redis.UniversalClient
	key   string
	token string
	ttl   time.Duration
}

var (
	renewScript   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
)

// tryLease takes the lease if nobody holds it; ok is false when another
// holder has it.
func tryLease(ctx context.Context, rdb redis.UniversalClient, key string, ttl time.Duration) (l *lease, ok bool, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, false, fmt.Errorf("lease token: %w", err)
	}
	l = &lease{rdb: rdb, key: key, token: hex.EncodeToString(b), ttl: ttl}
	ok, err = rdb.SetNX(ctx, key, l.token, ttl).Result()
	if err != nil {
		return nil, false, fmt.Errorf("take lease %s: %w", key, err)
	}
	return l, ok, nil
}

// keep renews the lease until ctx is done, and calls lost (once) if the
// lease could not be renewed: the caller must stop writing then.
func (l *lease) keep(ctx context.Context, lost func()) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.token, l.ttl.Milliseconds()).Int()
			if ctx.Err() != nil {
				return
			}
			if err != nil || n == 0 {
				lost()
				return
			}
		}
	}
}

// release gives the lease up if we still hold it.
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = releaseScript.Run(ctx, l.rdb, []string{l.key}, l.token).Err()
}
