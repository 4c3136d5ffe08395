// Package orglist projects organization events into the organizations
// read model (readmodels/orgs): each organization's document with its live
// teams, the name-sorted list and the team index.
package orglist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/orgs"
)

// Name is the projector's name: its checkpoint, lease and metrics label.
const Name = "orgs"

// New returns the organizations projector. reset deletes the read model's
// keys before a rebuild.
func New(store *orgs.Store, reset func(context.Context) error) (projections.Projector, error) {
	if store == nil {
		return projections.Projector{}, errors.New("orglist: no store")
	}
	codec, err := domain.NewCodec(org.Registrations()...)
	if err != nil {
		return projections.Projector{}, err
	}
	return projections.Projector{
		Name:     Name,
		Prefixes: []string{org.StreamPrefix},
		Handler:  &handler{store: store, codec: codec},
		Reset:    reset,
	}, nil
}

type handler struct {
	store *orgs.Store
	codec *domain.Codec
}

// Apply folds a batch onto the documents of the organizations it touches,
// read once each, and queues one Put per organization. Events at or below
// a document's revision were applied before and are skipped, so a replayed
// batch changes nothing.
func (h *handler) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	docs := map[string]*orgs.Org{}
	var order []string
	for _, rec := range events {
		id := strings.TrimPrefix(rec.Stream, org.StreamPrefix)
		if id == rec.Stream || org.ValidateID(id) != nil {
			return fmt.Errorf("orglist: event %s in stream %q: not an organization stream", rec.ID, rec.Stream)
		}
		e, err := h.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("orglist: event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		d, ok := docs[id]
		if !ok {
			doc, err := h.store.Get(ctx, id)
			switch {
			case errors.Is(err, orgs.ErrNotFound):
				doc = orgs.Org{ID: id, Revision: -1}
			case err != nil:
				return err
			}
			d = &doc
			docs[id] = d
			order = append(order, id)
		}
		if int64(rec.Revision) <= d.Revision {
			continue // applied before: a replay
		}
		apply(d, e)
		d.Revision = int64(rec.Revision)
	}
	for _, id := range order {
		d := docs[id]
		if d.Created.IsZero() {
			return fmt.Errorf("orglist: organization %q: events before its creation", id)
		}
		if err := h.store.Put(ctx, pipe, *d); err != nil {
			return err
		}
	}
	return nil
}

// apply is the one place that says what each organization event does to
// the document.
func apply(d *orgs.Org, e domain.Event) {
	switch e := e.(type) {
	case org.Created:
		d.Name, d.Created = e.Name, e.At
	case org.Renamed:
		d.Name = e.Name
	case org.Archived:
		d.Archived = true
	case org.TeamCreated:
		if !slices.ContainsFunc(d.Teams, func(t orgs.Team) bool { return t.ID == e.TeamID }) {
			d.Teams = append(d.Teams, orgs.Team{ID: e.TeamID, Name: e.Name, Created: e.At})
		}
	case org.TeamRenamed:
		for i := range d.Teams {
			if d.Teams[i].ID == e.TeamID {
				d.Teams[i].Name = e.Name
			}
		}
	case org.TeamDeleted:
		d.Teams = slices.DeleteFunc(d.Teams, func(t orgs.Team) bool { return t.ID == e.TeamID })
	}
}
