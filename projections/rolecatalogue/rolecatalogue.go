// Package rolecatalogue projects custom role events into the role
// catalogue read model (readmodels/roles).
package rolecatalogue

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/roles"
)

// Name is the projector's name: its checkpoint, lease and metrics label.
const Name = "roles"

// New returns the role catalogue projector. reset deletes the read model's
// keys before a rebuild.
func New(store *roles.Store, reset func(context.Context) error) (projections.Projector, error) {
	if store == nil {
		return projections.Projector{}, fmt.Errorf("rolecatalogue: no store")
	}
	codec, err := domain.NewCodec(role.Registrations()...)
	if err != nil {
		return projections.Projector{}, fmt.Errorf("rolecatalogue: %w", err)
	}
	return projections.Projector{
		Name:     Name,
		Prefixes: []string{role.StreamPrefix},
		Handler:  &handler{store: store, codec: codec},
		Reset:    reset,
	}, nil
}

type handler struct {
	store *roles.Store
	codec *domain.Codec
}

// Apply folds a batch onto the stored docs of the roles it touches (read in
// one round trip) and queues one Put per role. Events at or below a doc's
// revision were applied before and are skipped, so a replay changes
// nothing.
func (h *handler) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	type decoded struct {
		key   string
		rev   int64
		event domain.Event
	}
	batch := make([]decoded, len(events))
	var order []string
	for i, rec := range events {
		key := strings.TrimPrefix(rec.Stream, role.StreamPrefix)
		if role.CheckKey(key) != nil || role.IsBuiltIn(key) {
			return fmt.Errorf("rolecatalogue: event %s in stream %q: not a custom role stream", rec.ID, rec.Stream)
		}
		e, err := h.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("rolecatalogue: event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		batch[i] = decoded{key: key, rev: int64(rec.Revision), event: e}
		if !slices.Contains(order, key) {
			order = append(order, key)
		}
	}
	stored, err := h.store.Stored(ctx, order...)
	if err != nil {
		return fmt.Errorf("rolecatalogue: %w", err)
	}
	docs := make(map[string]*roles.Role, len(order))
	for _, key := range order {
		doc, ok := stored[key]
		if !ok {
			doc = roles.Role{Key: key, Revision: -1}
		}
		docs[key] = &doc
	}
	for _, d := range batch {
		doc := docs[d.key]
		if d.rev <= doc.Revision {
			continue // already applied (a replay)
		}
		if _, isCreated := d.event.(role.Created); doc.Revision < 0 && !isCreated {
			return fmt.Errorf("rolecatalogue: role %q: %s before its creation", d.key, d.event.EventType())
		}
		apply(doc, d.event)
		doc.Revision = d.rev
	}
	for _, key := range order {
		h.store.Put(ctx, pipe, *docs[key])
	}
	return nil
}

// apply is the one place that says what each role event does to the doc.
func apply(d *roles.Role, e domain.Event) {
	switch e := e.(type) {
	case role.Created:
		d.Name, d.Description, d.Permissions = e.Name, e.Description, slices.Clone(e.Permissions)
		d.Created, d.Updated = e.At, e.At
	case role.Renamed:
		d.Name, d.Updated = e.Name, e.At
	case role.Described:
		d.Description, d.Updated = e.Description, e.At
	case role.PermissionsChanged:
		d.Permissions, d.Updated = slices.Clone(e.Permissions), e.At
	case role.Deleted:
		d.Deleted, d.Updated = true, e.At
	}
}
