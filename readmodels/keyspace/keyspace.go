// Package keyspace manages whole slices of the Redis key space, named by
// prefix: every read model lives under its own prefix so it can be dropped
// and rebuilt without touching anything else.
package keyspace

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DeletePrefix unlinks every key that starts with prefix and returns how
// many it removed. It walks the key space with SCAN, so it never blocks
// Redis; keys written meanwhile under the prefix may survive.
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) (int, error) {
	if prefix == "" {
		return 0, fmt.Errorf("keyspace: refusing to delete every key (empty prefix)")
	}
	var n int
	iter := rdb.Scan(ctx, 0, escapeGlob(prefix)+"*", 1000).Iterator()
	batch := make([]string, 0, 1000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("keyspace: unlink under %q: %w", prefix, err)
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, fmt.Errorf("keyspace: scan %q: %w", prefix, err)
	}
	return n, flush()
}

// escapeGlob quotes the glob metacharacters of a literal prefix.
func escapeGlob(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
