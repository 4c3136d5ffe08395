// Package projections turns the global event log into Redis read models.
//
// A Projector is a name, a stream-prefix filter and a Handler. A Runner feeds
// it batches of events and commits the handler's writes together with the
// projector's checkpoint in one MULTI/EXEC transaction, so a crash at any
// point leaves the read model exactly at its checkpoint: restarting resumes
// without applying an event twice or skipping one.
package projections

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Handler turns a batch of events into Redis writes.
//
// Apply queues its writes on pipe (a MULTI/EXEC pipeline); it may read Redis
// through its own client before queueing, since a projector's writes come
// from one runner at a time. It must be deterministic: given the same state
// and events it queues the same writes. An error stops the batch: nothing of
// it is committed and the runner retries it.
type Handler interface {
	Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error
}

// Projector describes one read model's writer.
type Projector struct {
	// Name identifies the projector's checkpoint, lock and metrics.
	Name string
	// Prefixes select the streams it reads; empty means every stream.
	Prefixes []string
	Handler  Handler
	// Reset deletes the read model's data before a rebuild from the start.
	Reset func(ctx context.Context) error
}

// wants reports whether the projector reads events of stream.
func (p Projector) wants(stream string) bool {
	if len(p.Prefixes) == 0 {
		return true
	}
	for _, prefix := range p.Prefixes {
		if strings.HasPrefix(stream, prefix) {
			return true
		}
	}
	return false
}
