// Package userlist projects user events into the users read model
// (readmodels/users): details, the searchable list and its indexes.
package userlist

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// Name is the projector's name: its checkpoint, lease and metrics label.
const Name = "users"

// Store is the part of the users read model the projector writes.
type Store interface {
	Prepare(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]users.Prepared, error)
	Put(ctx context.Context, pipe redis.Pipeliner, old *users.Doc, doc users.Doc) error
}

// New returns the users projector. reset deletes the read model's keys
// before a rebuild.
func New(store Store, reset func(context.Context) error) (projections.Projector, error) {
	codec, err := domain.NewCodec(user.Registrations()...)
	if err != nil {
		return projections.Projector{}, err
	}
	return projections.Projector{
		Name:     Name,
		Prefixes: []string{user.StreamPrefix},
		Handler:  &handler{store: store, codec: codec},
		Reset:    reset,
	}, nil
}

type handler struct {
	store Store
	codec *domain.Codec
}

// Apply folds a batch into docs and queues one Put per touched user, with
// the doc as last put as the "old" state, so index entries that changed
// within the batch are replaced exactly once. The touched users' docs are
// read (or numbered) in one go, not one round trip per user.
func (h *handler) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	type decoded struct {
		id    uuid.UUID
		rev   int64
		event domain.Event
	}
	batch := make([]decoded, len(events))
	var order []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for i, rec := range events {
		id, err := uuid.Parse(strings.TrimPrefix(rec.Stream, user.StreamPrefix))
		if err != nil {
			return fmt.Errorf("event %s in stream %q: not a user stream", rec.ID, rec.Stream)
		}
		e, err := h.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		batch[i] = decoded{id: id, rev: int64(rec.Revision), event: e}
		if !seen[id] {
			seen[id] = true
			order = append(order, id)
		}
	}
	prepared, err := h.store.Prepare(ctx, order)
	if err != nil {
		return err
	}
	type touched struct {
		old *users.Doc
		doc users.Doc
	}
	docs := make(map[uuid.UUID]*touched, len(order))
	for _, id := range order {
		p := prepared[id]
		t := &touched{doc: cloneDoc(p.Doc)}
		if p.Exists {
			old := p.Doc
			t.old = &old
		} else {
			t.doc.Revision = -1
		}
		docs[id] = t
	}
	for _, d := range batch {
		t := docs[d.id]
		if d.rev <= t.doc.Revision {
			continue // already applied (a replay)
		}
		apply(&t.doc, d.event)
		t.doc.Revision = d.rev
	}
	for _, id := range order {
		t := docs[id]
		if t.doc.Status == "" {
			return fmt.Errorf("user %s: events before its creation", id)
		}
		if err := h.store.Put(ctx, pipe, t.old, t.doc); err != nil {
			return err
		}
	}
	return nil
}

// apply is the one place that says what each user event does to the doc.
func apply(d *users.Doc, e domain.Event) {
	switch e := e.(type) {
	case user.Created:
		d.Email, d.FirstName, d.LastName = e.PII.Email, e.PII.FirstName, e.PII.LastName
		d.Roles = slices.Clone(e.Roles)
		d.Org = e.OrgID
		d.Status = string(user.StatusActive)
		d.Created = e.At
	case user.NameChanged:
		d.FirstName, d.LastName = e.PII.FirstName, e.PII.LastName
	case user.EmailChanged:
		d.Email = e.PII.Email
	case user.RolesAssigned:
		for _, r := range e.Roles {
			if !slices.Contains(d.Roles, r) {
				d.Roles = append(d.Roles, r)
			}
		}
		slices.Sort(d.Roles)
	case user.RolesUnassigned:
		d.Roles = slices.DeleteFunc(d.Roles, func(r string) bool { return slices.Contains(e.Roles, r) })
	case user.OrganizationChanged:
		d.Org = e.OrgID
	case user.Suspended:
		d.Status = string(user.StatusSuspended)
	case user.Reactivated:
		d.Status = string(user.StatusActive)
	case user.Deleted:
		d.Status, d.Deleted = string(user.StatusDeleted), true
		if e.DataHandling == user.Anonymize {
			// The person's data leaves the read model; reads show
			// placeholders from here on.
			d.Email, d.FirstName, d.LastName, d.Notes = "", "", "", nil
		}
	case user.NoteAdded:
		if d.Deleted && d.Email == "" {
			return
		}
		d.Notes = append(d.Notes, users.Note{ID: e.NoteID, At: e.At, Author: e.AuthorID.String(), Text: e.PII.Text})
	}
}

func cloneDoc(d users.Doc) users.Doc {
	d.Roles = slices.Clone(d.Roles)
	d.Notes = slices.Clone(d.Notes)
	return d
}
