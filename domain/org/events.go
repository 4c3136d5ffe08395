package org

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// Event type names. They are stored with every event and must never change;
// a changed payload meaning gets a new version (".v2") next to the old one.
const (
	TypeCreated     = "org.created.v1"
	TypeRenamed     = "org.renamed.v1"
	TypeArchived    = "org.archived.v1"
	TypeTeamCreated = "org.team_created.v1"
	TypeTeamRenamed = "org.team_renamed.v1"
	TypeTeamDeleted = "org.team_deleted.v1"
)

// Registrations lists every organization event for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{
		domain.Register[Created](),
		domain.Register[Renamed](),
		domain.Register[Archived](),
		domain.Register[TeamCreated](),
		domain.Register[TeamRenamed](),
		domain.Register[TeamDeleted](),
	}
}

// Created starts an organization's stream.
type Created struct {
	OrgID string    `json:"org_id"`
	Name  string    `json:"name"`
	At    time.Time `json:"at"`
}

// Renamed carries the organization's new display name.
type Renamed struct {
	OrgID string    `json:"org_id"`
	Name  string    `json:"name"`
	At    time.Time `json:"at"`
}

// Archived closes the organization for good: from then on it takes no new
// members, no team changes and no new name. Its history and its users'
// memberships stay as they are.
type Archived struct {
	OrgID string    `json:"org_id"`
	At    time.Time `json:"at"`
}

// TeamCreated adds a team to the organization. Team IDs are never reused,
// not even after the team is deleted.
type TeamCreated struct {
	OrgID  string    `json:"org_id"`
	TeamID uuid.UUID `json:"team_id"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

// TeamRenamed carries a team's new name.
type TeamRenamed struct {
	OrgID  string    `json:"org_id"`
	TeamID uuid.UUID `json:"team_id"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

// TeamDeleted removes a team. Users who were members keep that fact in
// their own history; the team no longer accepts members.
type TeamDeleted struct {
	OrgID  string    `json:"org_id"`
	TeamID uuid.UUID `json:"team_id"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (Created) EventType() string { return TypeCreated }

// EventType implements domain.Event.
func (Renamed) EventType() string { return TypeRenamed }

// EventType implements domain.Event.
func (Archived) EventType() string { return TypeArchived }

// EventType implements domain.Event.
func (TeamCreated) EventType() string { return TypeTeamCreated }

// EventType implements domain.Event.
func (TeamRenamed) EventType() string { return TypeTeamRenamed }

// EventType implements domain.Event.
func (TeamDeleted) EventType() string { return TypeTeamDeleted }
