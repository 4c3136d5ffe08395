package org

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// The errors of commands on a missing or closed organization.
var (
	// ErrNoOrg: the organization does not exist.
	ErrNoOrg = fmt.Errorf("organization does not exist: %w", domain.ErrNotFound)
	// ErrNoTeam: the organization has no such team, or had it and deleted it.
	ErrNoTeam = fmt.Errorf("team does not exist: %w", domain.ErrNotFound)
	// ErrArchived: the organization is archived and takes no more changes.
	ErrArchived = fmt.Errorf("organization is archived: %w", domain.ErrConflict)
)

// Team is a live team of an organization.
type Team struct {
	ID   uuid.UUID
	Name string
}

// Org is the organization aggregate: the state its commands decide on,
// folded from its events. The zero Org is an organization that does not
// exist yet; Create is the only command it accepts.
//
// Commands are methods that return the new events and apply them to the
// receiver, so a command that fails leaves the Org unchanged. Stream
// revisions are the command layer's business.
//
// An Org is not safe for concurrent use; load one per command.
type Org struct {
	id        string
	created   bool
	name      string
	archived  bool
	teams     map[uuid.UUID]string // live teams: ID -> name
	usedTeams map[uuid.UUID]bool   // every team ID ever created, deleted ones too
	createdAt time.Time
}

// Load folds an organization's history, oldest first, into an Org.
func Load(history ...domain.Event) (*Org, error) {
	o := &Org{}
	if err := o.Fold(history...); err != nil {
		return nil, err
	}
	return o, nil
}

// Fold applies further stored events. It fails only on an event that does
// not belong to the organization aggregate, a wiring mistake; history is
// fact and is never validated.
func (o *Org) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := o.apply(e); err != nil {
			return err
		}
	}
	return nil
}

// apply is the one place where events change state.
func (o *Org) apply(e domain.Event) error {
	switch e := e.(type) {
	case Created:
		o.id = e.OrgID
		o.created = true
		o.name = e.Name
		o.createdAt = e.At
	case Renamed:
		o.name = e.Name
	case Archived:
		o.archived = true
	case TeamCreated:
		if o.teams == nil {
			o.teams = make(map[uuid.UUID]string)
			o.usedTeams = make(map[uuid.UUID]bool)
		}
		o.teams[e.TeamID] = e.Name
		o.usedTeams[e.TeamID] = true
	case TeamRenamed:
		if _, ok := o.teams[e.TeamID]; ok {
			o.teams[e.TeamID] = e.Name
		}
	case TeamDeleted:
		delete(o.teams, e.TeamID)
	default:
		return fmt.Errorf("org: cannot apply event %T", e)
	}
	return nil
}

// record applies new events and returns them; every command ends here.
func (o *Org) record(events ...domain.Event) ([]domain.Event, error) {
	if err := o.Fold(events...); err != nil {
		return nil, err
	}
	return events, nil
}

// mustExist guards every command but Create.
func (o *Org) mustExist() error {
	if !o.created {
		return ErrNoOrg
	}
	return nil
}

// mustBeLive guards the commands an archived organization refuses.
func (o *Org) mustBeLive() error {
	if o.archived {
		return fmt.Errorf("organization %s: %w", o.id, ErrArchived)
	}
	return nil
}

// ID is the organization's ID; empty before Create.
func (o *Org) ID() string { return o.id }

// Exists reports whether the organization was created, archived or not.
func (o *Org) Exists() bool { return o.created }

// Archived reports whether the organization is archived.
func (o *Org) Archived() bool { return o.archived }

// Name is the organization's display name.
func (o *Org) Name() string { return o.name }

// CreatedAt is the time of Create.
func (o *Org) CreatedAt() time.Time { return o.createdAt }

// Teams returns the live teams sorted by name (case-insensitively), then
// ID. The slice is a copy.
func (o *Org) Teams() []Team {
	out := make([]Team, 0, len(o.teams))
	for id, name := range o.teams {
		out = append(out, Team{ID: id, Name: name})
	}
	slices.SortFunc(out, func(a, b Team) int {
		if c := strings.Compare(foldName(a.Name), foldName(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out
}

// Team returns the live team with the given ID.
func (o *Org) Team(id uuid.UUID) (Team, bool) {
	name, ok := o.teams[id]
	if !ok {
		return Team{}, false
	}
	return Team{ID: id, Name: name}, true
}

// Create decides the creation of the organization id. Creating an
// organization whose stream has history, archived or not, is a
// *domain.ConflictError on "id": IDs are never reused.
func (o *Org) Create(id, name string, now time.Time) ([]domain.Event, error) {
	if o.created {
		return nil, &domain.ConflictError{Field: "id", Code: "already_exists", Message: "organization already exists"}
	}
	idErr := ValidateID(id)
	name, nameErr := cleanName("name", name)
	if err := domain.CollectValidation(idErr, nameErr); err != nil {
		return nil, err
	}
	return o.record(Created{OrgID: id, Name: name, At: eventTime(now)})
}

// Rename changes the display name; the same name changes nothing.
// Organization names need not be unique.
func (o *Org) Rename(name string, now time.Time) ([]domain.Event, error) {
	if err := o.mustExist(); err != nil {
		return nil, err
	}
	name, err := cleanName("name", name)
	if err != nil {
		return nil, err
	}
	if err := o.mustBeLive(); err != nil {
		return nil, err
	}
	if name == o.name {
		return nil, nil
	}
	return o.record(Renamed{OrgID: o.id, Name: name, At: eventTime(now)})
}

// Archive closes the organization for good. Archiving an archived
// organization changes nothing: there is no way back, so the desired state
// already holds.
func (o *Org) Archive(now time.Time) ([]domain.Event, error) {
	if err := o.mustExist(); err != nil {
		return nil, err
	}
	if o.archived {
		return nil, nil
	}
	return o.record(Archived{OrgID: o.id, At: eventTime(now)})
}
