package esdbtest

import (
	"context"
	"errors"
	"sync"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// streams implements the Streams service over a backend store. Append,
// Read, Delete and Tombstone are served; BatchAppend, which the client's
// AppendToStream does not use, answers Unimplemented.
type streams struct {
	api.UnimplementedStreamsServer
	backend eventstore.Store
	subs    registry
}

func newStreams(backend eventstore.Store) *streams {
	return &streams{backend: backend, subs: registry{active: map[int]context.CancelCauseFunc{}}}
}

// errDropped is the cause of a subscription ended by DropSubscriptions.
var errDropped = errors.New("esdbtest: subscription dropped by the server")

// registry tracks the active subscriptions so that they can be dropped.
type registry struct {
	mu     sync.Mutex
	next   int
	active map[int]context.CancelCauseFunc
}

// add tracks a subscription by the function that ends it; the returned
// function forgets it.
func (r *registry) add(cancel context.CancelCauseFunc) (remove func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.next
	r.next++
	r.active[id] = cancel
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.active, id)
	}
}

func (r *registry) dropAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cancel := range r.active {
		cancel(errDropped)
	}
}
