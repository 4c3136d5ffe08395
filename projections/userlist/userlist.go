// Package userlist projects user events into the users read model
// (readmodels/users): details, the searchable list and its indexes.
package userlist

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/mfa"
	"github.com/clarynext/usermgmt/domain/org"
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
	Writer(pipe redis.Pipeliner) *users.Writer
	Search(ctx context.Context, q users.Query) (users.Page, error)
}

// New returns the users projector. reset deletes the read model's keys
// before a rebuild. It reads user streams (the profile), auth streams (last
// login, lock state) and organization streams (deleted teams).
func New(store Store, reset func(context.Context) error) (projections.Projector, error) {
	regs := append(user.Registrations(), auth.Registrations()...)
	regs = append(regs, org.Registrations()...)
	regs = append(regs, mfa.Registrations()...)
	codec, err := domain.NewCodec(regs...)
	if err != nil {
		return projections.Projector{}, err
	}
	return projections.Projector{
		Name:     Name,
		Prefixes: []string{user.StreamPrefix, auth.StreamPrefix, mfa.StreamPrefix, org.StreamPrefix},
		Handler:  &handler{store: store, codec: codec},
		Reset:    reset,
	}, nil
}

type handler struct {
	store Store
	codec *domain.Codec
}

// decoded is one event of a batch with the user it is about.
type decoded struct {
	id      uuid.UUID
	profile bool  // from the user's own stream, whose revision the doc tracks
	rev     int64 // revision in that stream
	event   domain.Event
}

// Apply folds a batch into docs and queues one Put per touched user, with
// the doc as last put as the "old" state, so index entries that changed
// within the batch are replaced exactly once. The touched users' docs are
// read (or numbered) in one go, not one round trip per user.
func (h *handler) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	batch := make([]decoded, 0, len(events))
	var order []uuid.UUID
	seen := map[uuid.UUID]bool{}
	touch := func(d decoded) {
		batch = append(batch, d)
		if !seen[d.id] {
			seen[d.id] = true
			order = append(order, d.id)
		}
	}
	for _, rec := range events {
		e, err := h.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		id, profile, ok, err := userOf(rec.Stream)
		switch {
		case err != nil:
			return fmt.Errorf("event %s: %w", rec.ID, err)
		case ok:
			touch(decoded{id: id, profile: profile, rev: int64(rec.Revision), event: e})
		default:
			td, ok := e.(org.TeamDeleted)
			if !ok {
				continue
			}
			// Everyone in the deleted team leaves it in the list.
			members, err := h.teamMembers(ctx, td.TeamID.String())
			if err != nil {
				return err
			}
			// Users who joined earlier in this batch are not in the read
			// model yet: drop the team from every user touched so far too.
			for _, id := range append(members, order...) {
				touch(decoded{id: id, event: td})
			}
		}
	}
	if len(order) == 0 {
		return nil
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
		if d.profile {
			if d.rev <= t.doc.Revision {
				continue // already applied (a replay)
			}
			t.doc.Revision = d.rev
		}
		apply(&t.doc, d.event)
	}
	w := h.store.Writer(pipe)
	for _, id := range order {
		t := docs[id]
		if t.doc.Status == "" {
			if t.old == nil && !profileEvents(batch, id) {
				continue // login attempts of a user the list does not hold
			}
			return fmt.Errorf("user %s: events before its creation", id)
		}
		if err := w.Put(ctx, t.old, t.doc); err != nil {
			return err
		}
	}
	w.Flush(ctx)
	return nil
}

// userOf tells whose stream a stream is: a user's own (profile), or its
// auth or mfa stream; ok is false for other streams.
func userOf(stream string) (id uuid.UUID, profile, ok bool, err error) {
	for _, prefix := range []string{user.StreamPrefix, auth.StreamPrefix, mfa.StreamPrefix} {
		if rest, found := strings.CutPrefix(stream, prefix); found {
			id, err := uuid.Parse(rest)
			if err != nil {
				return uuid.Nil, false, false, fmt.Errorf("stream %q: not a user's stream", stream)
			}
			return id, prefix == user.StreamPrefix, true, nil
		}
	}
	return uuid.Nil, false, false, nil
}

func profileEvents(batch []decoded, id uuid.UUID) bool {
	for _, d := range batch {
		if d.id == id && d.profile {
			return true
		}
	}
	return false
}

// teamMembers lists every user the read model has in the team, whatever
// their status: the query filters by team alone.
func (h *handler) teamMembers(ctx context.Context, teamID string) ([]uuid.UUID, error) {
	var out []uuid.UUID
	q := users.Query{Teams: []string{teamID}, Limit: users.MaxLimit}
	for {
		page, err := h.store.Search(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("members of team %s: %w", teamID, err)
		}
		for _, d := range page.Users {
			out = append(out, d.ID)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		q.Cursor = page.NextCursor
	}
}

// apply is the one place that says what each user event does to the doc.
func apply(d *users.Doc, e domain.Event) {
	switch e := e.(type) {
	case user.Created:
		d.Email, d.FirstName, d.LastName = e.PII.Email, e.PII.FirstName, e.PII.LastName
		d.Roles = slices.Clone(e.Roles)
		d.Org = e.OrgID
		d.OrgRole = e.OrgRole
		d.Status = string(e.StartStatus())
		d.Source = e.Source
		d.Attributes = cloneAttributes(e.PII.Attributes)
		d.Created = e.At
	case user.NameChanged:
		d.FirstName, d.LastName = e.PII.FirstName, e.PII.LastName
	case user.EmailChanged:
		d.Email = e.PII.Email
		// The domain spends every live link on an email change: a pending
		// invitation no longer works until an admin sends a new one.
		revokePendingInvitation(d)
	case user.InvitationSent:
		d.Invitation = users.InvitationPending
		d.InvitationExpiresAt, d.InvitationSentAt = e.Token.ExpiresAt, e.At
	case user.InvitationRevoked:
		d.Invitation, d.InvitationExpiresAt = users.InvitationRevoked, time.Time{}
	case user.InvitationAccepted:
		d.Invitation, d.InvitationExpiresAt = users.InvitationAccepted, time.Time{}
		d.Status = string(user.StatusActive)
	case user.EmailVerified:
		d.Status = string(user.StatusActive)
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
		if e.OrgID == "" {
			d.OrgRole = ""
		}
	case user.OrgRoleChanged:
		d.OrgRole = e.Role
	case user.TeamJoined:
		d.Teams = setTeam(d.Teams, e.TeamID.String(), e.Role)
	case user.TeamRoleChanged:
		d.Teams = setTeam(d.Teams, e.TeamID.String(), e.Role)
	case user.TeamLeft:
		d.Teams = dropTeam(d.Teams, e.TeamID.String())
	case org.TeamDeleted:
		d.Teams = dropTeam(d.Teams, e.TeamID.String())
	case auth.LoginSucceeded:
		if e.At.After(d.LastLogin) {
			d.LastLogin = e.At
		}
		d.Locked, d.LockedUntil = false, time.Time{}
	case auth.Locked:
		d.Locked, d.LockedUntil = true, e.Until
		if e.Permanent {
			d.LockedUntil = time.Time{}
		}
	case mfa.TOTPEnrolled:
		d.TwoFactor = true
	case mfa.Reset:
		d.TwoFactor = false
	case auth.LockoutCleared, auth.LockExpired:
		d.Locked, d.LockedUntil = false, time.Time{}
	case user.Suspended:
		d.Status = string(user.StatusSuspended)
		// The domain ends every live link on suspension.
		revokePendingInvitation(d)
	case user.InviteRequested:
		// Written at creation, instead of a password, before invitations
		// had their own status and events: such a user is invited.
		if d.Status == string(user.StatusActive) {
			d.Status = string(user.StatusInvited)
		}
	case user.Reactivated:
		d.Status = string(e.NewStatus())
	case user.Deleted:
		d.Status, d.Deleted = string(user.StatusDeleted), true
		// Deletion ends every link of the user.
		revokePendingInvitation(d)
		if e.DataHandling == user.Anonymize {
			// The person's data leaves the read model; reads show
			// placeholders from here on.
			d.Email, d.FirstName, d.LastName, d.Notes = "", "", "", nil
			d.Attributes = nil
		}
	case user.NoteAdded:
		if d.Deleted && d.Email == "" {
			return
		}
		d.Notes = append(d.Notes, users.Note{ID: e.NoteID, At: e.At, Author: e.AuthorID.String(), Text: e.PII.Text})
	}
}

// revokePendingInvitation marks a pending invitation revoked: its link
// stopped working without an InvitationRevoked event.
func revokePendingInvitation(d *users.Doc) {
	if d.Invitation == users.InvitationPending {
		d.Invitation, d.InvitationExpiresAt = users.InvitationRevoked, time.Time{}
	}
}

// cloneAttributes copies sign-up attributes; none is nil, as the read
// model returns them.
func cloneAttributes(attrs map[string]string) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	return maps.Clone(attrs)
}

// setTeam adds or updates a membership, keeping the list sorted by ID.
func setTeam(teams []users.Team, id, role string) []users.Team {
	teams = dropTeam(teams, id)
	teams = append(teams, users.Team{ID: id, Role: role})
	slices.SortFunc(teams, func(a, b users.Team) int { return strings.Compare(a.ID, b.ID) })
	return teams
}

func dropTeam(teams []users.Team, id string) []users.Team {
	return slices.DeleteFunc(teams, func(t users.Team) bool { return t.ID == id })
}

func cloneDoc(d users.Doc) users.Doc {
	d.Roles = slices.Clone(d.Roles)
	d.Teams = slices.Clone(d.Teams)
	d.Notes = slices.Clone(d.Notes)
	d.Attributes = maps.Clone(d.Attributes)
	return d
}
