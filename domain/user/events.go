package user

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// Event type names. They are stored with every event and must never change;
// a changed payload meaning gets a new version (".v2") next to the old one.
const (
	TypeCreated             = "user.created.v1"
	TypePasswordSet         = "user.password_set.v1"
	TypeInviteRequested     = "user.invite_requested.v1"
	TypeNameChanged         = "user.name_changed.v1"
	TypeEmailChanged        = "user.email_changed.v1"
	TypeRolesAssigned       = "user.roles_assigned.v1"
	TypeRolesUnassigned     = "user.roles_unassigned.v1"
	TypeOrganizationChanged = "user.organization_changed.v1"
	TypeSuspended           = "user.suspended.v1"
	TypeReactivated         = "user.reactivated.v1"
	TypeDeleted             = "user.deleted.v1"
	TypeNoteAdded           = "user.note_added.v1"
	TypeOrgRoleChanged      = "user.org_role_changed.v1"
	TypeTeamJoined          = "user.team_joined.v1"
	TypeTeamRoleChanged     = "user.team_role_changed.v1"
	TypeTeamLeft            = "user.team_left.v1"
	TypeInvitationSent      = "user.invitation_sent.v1"
	TypeInvitationRevoked   = "user.invitation_revoked.v1"
	TypeInvitationAccepted  = "user.invitation_accepted.v1"
	TypeResetRequested      = "user.password_reset_requested.v1"
	TypeResetCompleted      = "user.password_reset_completed.v1"
	TypeVerificationSent    = "user.verification_sent.v1"
	TypeEmailVerified       = "user.email_verified.v1"
)

// Registrations lists every user event for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{
		domain.Register[Created](),
		domain.Register[PasswordSet](),
		domain.Register[InviteRequested](),
		domain.Register[NameChanged](),
		domain.Register[EmailChanged](),
		domain.Register[RolesAssigned](),
		domain.Register[RolesUnassigned](),
		domain.Register[OrganizationChanged](),
		domain.Register[Suspended](),
		domain.Register[Reactivated](),
		domain.Register[Deleted](),
		domain.Register[NoteAdded](),
		domain.Register[OrgRoleChanged](),
		domain.Register[TeamJoined](),
		domain.Register[TeamRoleChanged](),
		domain.Register[TeamLeft](),
		domain.Register[InvitationSent](),
		domain.Register[InvitationRevoked](),
		domain.Register[InvitationAccepted](),
		domain.Register[ResetRequested](),
		domain.Register[ResetCompleted](),
		domain.Register[VerificationSent](),
		domain.Register[EmailVerified](),
	}
}

// PII is the person's profile data as carried by created, name and email
// events. An event fills only the members it is about; empty members are
// left out of the JSON.
type PII struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	// Attributes are the additional profile fields a self-registration
	// collected (key -> canonical string value); only Created carries them.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Created starts a user's stream. OrgRole is the user's role key within its
// organization; it is set only with OrgID. Status is where the user starts:
// empty means StatusActive (every event written before invitations and
// sign-ups had states), StatusInvited waits for an invitation to be
// accepted, StatusUnverified for a sign-up's email to be verified. Source
// says who created the user: empty for an admin (or an import),
// SourceRegistration for a self-registration.
type Created struct {
	UserID  uuid.UUID `json:"user_id"`
	PII     PII       `json:"pii"`
	Roles   []string  `json:"roles,omitempty"` // sorted role keys
	OrgID   string    `json:"org_id,omitempty"`
	OrgRole string    `json:"org_role,omitempty"`
	Status  Status    `json:"status,omitempty"`
	Source  string    `json:"source,omitempty"`
	At      time.Time `json:"at"`
}

// StartStatus is the status the user has after Created.
func (e Created) StartStatus() Status {
	if e.Status == "" {
		return StatusActive
	}
	return e.Status
}

// PasswordSet records a new password as an argon2id PHC hash string; the
// clear-text password never reaches the domain.
//
// It is its own event rather than a field of Created because the same fact
// recurs (admin reset, temporary password, the user's own change) and one
// event type for every credential change keeps the login side simple. It
// also keeps the hash out of the events that search, reports and analytics
// read. The hash sits under "pii" so that erasure shreds it with the rest.
type PasswordSet struct {
	UserID uuid.UUID   `json:"user_id"`
	PII    PasswordPII `json:"pii"`
	// Temporary: an admin set it, and the user must change it at the next
	// login before doing anything else.
	Temporary bool      `json:"temporary,omitempty"`
	At        time.Time `json:"at"`
}

// PasswordPII is the encryptable part of PasswordSet.
type PasswordPII struct {
	PasswordHash string `json:"password_hash"`
}

// InviteRequested records that the user is to receive an invitation email
// to choose a password. The mail flow reacts to it; a resend appends it
// again.
type InviteRequested struct {
	UserID uuid.UUID `json:"user_id"`
	At     time.Time `json:"at"`
}

// NameChanged carries the complete new name: both members, either of which
// may be empty, so a reader never has to merge.
type NameChanged struct {
	UserID uuid.UUID `json:"user_id"`
	PII    PII       `json:"pii"` // FirstName and LastName only
	At     time.Time `json:"at"`
}

// EmailChanged carries the new normalized email.
type EmailChanged struct {
	UserID uuid.UUID `json:"user_id"`
	PII    PII       `json:"pii"` // Email only
	At     time.Time `json:"at"`
}

// RolesAssigned lists the role keys the user gained, sorted; keys already
// held are never listed.
type RolesAssigned struct {
	UserID uuid.UUID `json:"user_id"`
	Roles  []string  `json:"roles"`
	At     time.Time `json:"at"`
}

// RolesUnassigned lists the role keys the user lost, sorted; keys not held
// are never listed.
type RolesUnassigned struct {
	UserID uuid.UUID `json:"user_id"`
	Roles  []string  `json:"roles"`
	At     time.Time `json:"at"`
}

// OrganizationChanged moves the user between organizations. An empty OrgID
// means no organization; PreviousOrgID keeps transfers auditable and lets
// per-organization counters move without a lookup. Handling is the
// TransferHandling of the move when it was not the default: empty means
// KeepRoles (as in every event written before transfers had options).
//
// A transfer ends every team membership first (TeamLeft events) and is
// followed by OrgRoleChanged when the role within the organization changes.
type OrganizationChanged struct {
	UserID        uuid.UUID `json:"user_id"`
	OrgID         string    `json:"org_id,omitempty"`
	PreviousOrgID string    `json:"previous_org_id,omitempty"`
	Handling      string    `json:"handling,omitempty"`
	At            time.Time `json:"at"`
}

// Suspended blocks the user from logging in; the account is kept.
type Suspended struct {
	UserID uuid.UUID     `json:"user_id"`
	PII    SuspensionPII `json:"pii"`
	At     time.Time     `json:"at"`
}

// SuspensionPII is the encryptable part of Suspended. The optional reason
// is free text an admin wrote about the person, so it is treated like a
// note.
type SuspensionPII struct {
	Reason string `json:"reason,omitempty"`
}

// Reactivated restores a suspended user's access. Status is the status the
// user returns to: empty means StatusActive; a user suspended before
// accepting its invitation or verifying its email returns to StatusInvited
// or StatusUnverified.
type Reactivated struct {
	UserID uuid.UUID `json:"user_id"`
	Status Status    `json:"status,omitempty"`
	At     time.Time `json:"at"`
}

// NewStatus is the status the user has after Reactivated.
func (e Reactivated) NewStatus() Status {
	if e.Status == "" {
		return StatusActive
	}
	return e.Status
}

// Deleted ends the user for good. DataHandling says what becomes of the
// person's data: Soft keeps it and marks the user deleted; Anonymize removes
// it from every read model (readers show placeholders) and is the trigger
// for shredding the per-user key.
type Deleted struct {
	UserID       uuid.UUID    `json:"user_id"`
	DataHandling DataHandling `json:"data_handling"`
	At           time.Time    `json:"at"`
}

// NoteAdded records an admin note about the user. The text is about the
// person, so it is PII.
type NoteAdded struct {
	UserID   uuid.UUID `json:"user_id"`
	NoteID   uuid.UUID `json:"note_id"`
	AuthorID uuid.UUID `json:"author_id"`
	PII      NotePII   `json:"pii"`
	At       time.Time `json:"at"`
}

// NotePII is the encryptable part of NoteAdded.
type NotePII struct {
	Text string `json:"text"`
}

// OrgRoleChanged records the user's new role key within its organization,
// OrgID; an empty Role means none. PreviousRole is the role held before,
// which after a transfer was held in the previous organization.
type OrgRoleChanged struct {
	UserID       uuid.UUID `json:"user_id"`
	OrgID        string    `json:"org_id,omitempty"`
	Role         string    `json:"role,omitempty"`
	PreviousRole string    `json:"previous_role,omitempty"`
	At           time.Time `json:"at"`
}

// TeamJoined makes the user a member of a team of its organization, with a
// role key within the team.
type TeamJoined struct {
	UserID uuid.UUID `json:"user_id"`
	OrgID  string    `json:"org_id"`
	TeamID uuid.UUID `json:"team_id"`
	Role   string    `json:"role"`
	At     time.Time `json:"at"`
}

// TeamRoleChanged gives a team member another role within the team.
type TeamRoleChanged struct {
	UserID uuid.UUID `json:"user_id"`
	TeamID uuid.UUID `json:"team_id"`
	Role   string    `json:"role"`
	At     time.Time `json:"at"`
}

// Reasons a team membership ends (TeamLeft.Reason).
const (
	// LeftRemoved: the user was taken out of the team.
	LeftRemoved = "removed"
	// LeftTransfer: the user moved to another organization.
	LeftTransfer = "transfer"
)

// TeamLeft ends the user's membership of a team; Reason is LeftRemoved or
// LeftTransfer.
type TeamLeft struct {
	UserID uuid.UUID `json:"user_id"`
	OrgID  string    `json:"org_id"`
	TeamID uuid.UUID `json:"team_id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (Created) EventType() string { return TypeCreated }

// EventType implements domain.Event.
func (PasswordSet) EventType() string { return TypePasswordSet }

// EventType implements domain.Event.
func (InviteRequested) EventType() string { return TypeInviteRequested }

// EventType implements domain.Event.
func (NameChanged) EventType() string { return TypeNameChanged }

// EventType implements domain.Event.
func (EmailChanged) EventType() string { return TypeEmailChanged }

// EventType implements domain.Event.
func (RolesAssigned) EventType() string { return TypeRolesAssigned }

// EventType implements domain.Event.
func (RolesUnassigned) EventType() string { return TypeRolesUnassigned }

// EventType implements domain.Event.
func (OrganizationChanged) EventType() string { return TypeOrganizationChanged }

// EventType implements domain.Event.
func (Suspended) EventType() string { return TypeSuspended }

// EventType implements domain.Event.
func (Reactivated) EventType() string { return TypeReactivated }

// EventType implements domain.Event.
func (Deleted) EventType() string { return TypeDeleted }

// EventType implements domain.Event.
func (NoteAdded) EventType() string { return TypeNoteAdded }

// EventType implements domain.Event.
func (OrgRoleChanged) EventType() string { return TypeOrgRoleChanged }

// EventType implements domain.Event.
func (TeamJoined) EventType() string { return TypeTeamJoined }

// EventType implements domain.Event.
func (TeamRoleChanged) EventType() string { return TypeTeamRoleChanged }

// EventType implements domain.Event.
func (TeamLeft) EventType() string { return TypeTeamLeft }
