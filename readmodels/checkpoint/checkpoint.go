// Package checkpoint stores how far each projector has read the global log.
//
// A projector queues its checkpoint into the same MULTI/EXEC transaction as
// the read-model writes of the events it covers, so after a crash the read
// model and its checkpoint always agree: no event is applied twice or skipped.
package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Key is the Redis key of a projector's checkpoint.
func Key(prefix, projector string) string {
	return prefix + "checkpoint:" + projector
}

// Queue adds the write of a checkpoint to a pipeline (normally the
// projector's transaction).
func Queue(ctx context.Context, pipe redis.Pipeliner, prefix, projector string, pos eventstore.Position) {
	pipe.Set(ctx, Key(prefix, projector), Format(pos), 0)
}

// Load returns a projector's checkpoint, or eventstore.StartPosition if it
// has none.
func Load(ctx context.Context, rdb redis.Cmdable, prefix, projector string) (eventstore.Position, error) {
	v, err := rdb.Get(ctx, Key(prefix, projector)).Result()
	if errors.Is(err, redis.Nil) {
		return eventstore.StartPosition, nil
	}
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("checkpoint %s: %w", projector, err)
	}
	pos, err := Parse(v)
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("checkpoint %s: %w", projector, err)
	}
	return pos, nil
}

// Format encodes a position as "commit/prepare".
func Format(p eventstore.Position) string {
	return strconv.FormatUint(p.Commit, 10) + "/" + strconv.FormatUint(p.Prepare, 10)
}

// Parse decodes what Format encoded.
func Parse(s string) (eventstore.Position, error) {
	c, p, ok := strings.Cut(s, "/")
	if !ok {
		return eventstore.Position{}, fmt.Errorf("position %q: want commit/prepare", s)
	}
	commit, err1 := strconv.ParseUint(c, 10, 64)
	prepare, err2 := strconv.ParseUint(p, 10, 64)
	if err1 != nil || err2 != nil {
		return eventstore.Position{}, fmt.Errorf("position %q: want two unsigned integers", s)
	}
	return eventstore.Position{Commit: commit, Prepare: prepare}, nil
}
