package userlist

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// BulkStore is what a Store also offers when the projector can rebuild it
// in bulk (users.Store does).
type BulkStore interface {
	BulkLoad(ctx context.Context, docs []users.Doc) error
}

// Bulk makes the handler a projections.BulkHandler when its store is a
// BulkStore: a rebuild then folds every user's events into its doc in
// memory, with the same apply as Apply, and hands all docs to BulkLoad.
func (h *handler) Bulk() (projections.BulkLoader, bool) {
	store, ok := h.store.(BulkStore)
	if !ok {
		return nil, false
	}
	return &bulkLoader{
		store: store,
		codec: h.codec,
		docs:  map[uuid.UUID]*bulkDoc{},
		teams: map[string]map[uuid.UUID]bool{},
	}, true
}

// bulkLoader holds the docs of one bulk rebuild.
type bulkLoader struct {
	store BulkStore
	codec *domain.Codec
	// docs by user; order lists them by first appearance in the log, the
	// order in which Apply's Prepare would number them.
	docs  map[uuid.UUID]*bulkDoc
	order []*bulkDoc
	// teams maps a team ID to the users that joined it, for TeamDeleted.
	teams map[string]map[uuid.UUID]bool
}

type bulkDoc struct {
	doc users.Doc
	// profile is set once an event of the user's own stream was applied.
	profile bool
}

// Add folds events into the docs, as Apply would fold one batch holding
// the whole log.
func (b *bulkLoader) Add(_ context.Context, events []eventstore.RecordedEvent) error {
	for _, rec := range events {
		e, err := b.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		id, profile, ok, err := userOf(rec.Stream)
		if err != nil {
			return fmt.Errorf("event %s: %w", rec.ID, err)
		}
		if !ok {
			if td, ok := e.(org.TeamDeleted); ok {
				b.deleteTeam(td)
			}
			continue
		}
		d := b.docs[id]
		if d == nil {
			d = &bulkDoc{doc: users.Doc{ID: id, Revision: -1}}
			b.docs[id] = d
			b.order = append(b.order, d)
		}
		if profile {
			rev := int64(rec.Revision)
			if rev <= d.doc.Revision {
				continue // already applied (a replay)
			}
			d.doc.Revision, d.profile = rev, true
		}
		apply(&d.doc, e)
		switch e := e.(type) {
		case user.TeamJoined:
			b.joined(e.TeamID.String(), id)
		case user.TeamRoleChanged:
			b.joined(e.TeamID.String(), id)
		}
	}
	return nil
}

func (b *bulkLoader) joined(team string, id uuid.UUID) {
	members := b.teams[team]
	if members == nil {
		members = map[uuid.UUID]bool{}
		b.teams[team] = members
	}
	members[id] = true
}

// deleteTeam drops the team from everyone in it, as Apply does for the
// members the read model holds.
func (b *bulkLoader) deleteTeam(td org.TeamDeleted) {
	team := td.TeamID.String()
	for id := range b.teams[team] {
		apply(&b.docs[id].doc, td)
	}
	delete(b.teams, team)
}

// Flush writes every user the list holds, numbered in order of first
// appearance. Like Apply it leaves out users that only have login events,
// and fails for a user whose own stream holds events but no creation.
func (b *bulkLoader) Flush(ctx context.Context) error {
	docs := make([]users.Doc, 0, len(b.order))
	for _, d := range b.order {
		if d.doc.Status == "" {
			if !d.profile {
				continue // login attempts of a user the list does not hold
			}
			return fmt.Errorf("user %s: events before its creation", d.doc.ID)
		}
		docs = append(docs, d.doc)
	}
	b.docs, b.order, b.teams = nil, nil, nil
	return b.store.BulkLoad(ctx, docs)
}
