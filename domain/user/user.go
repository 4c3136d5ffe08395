package user

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// StreamPrefix starts the name of every user stream, "user-{id}". Command
// handlers append to Stream(id); projectors subscribe with this prefix.
const StreamPrefix = "user-"

// Stream is the name of the event stream of the user with the given ID.
func Stream(id uuid.UUID) string { return StreamPrefix + id.String() }

// Status is where a user is in its life cycle: active <-> suspended, and
// from either to deleted, which is final.
type Status string

// The statuses a user can have.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusDeleted   Status = "deleted"
	// StatusInvited: created with an invitation that is not accepted yet;
	// accepting it sets the password and makes the user active.
	StatusInvited Status = "invited"
	// StatusUnverified: signed up, and the email address is not verified
	// yet; verifying it makes the user active.
	StatusUnverified Status = "unverified"
)

// DataHandling is what deletion does with the person's data.
type DataHandling string

// The data-handling options of Delete.
const (
	// Soft keeps the data and marks the user deleted.
	Soft DataHandling = "soft"
	// Anonymize takes the person's data out of every read model; later reads
	// show placeholders, and the per-user key can be shredded.
	Anonymize DataHandling = "anonymize"
)

// ErrDeleted is returned for any command on a deleted user. It matches
// domain.ErrNotFound: a deleted user is gone as far as changes go, whatever
// its data handling, just like an ID that never existed. (Not
// ErrPreconditionFailed: that kind answers 412, which tells a client its
// If-Match revision is stale and invites a pointless re-read and retry.)
// The HTTP layer may still test for ErrDeleted first to answer 410 Gone.
var ErrDeleted = fmt.Errorf("user is deleted: %w", domain.ErrNotFound)

// ErrNoUser is returned for a command other than Create on a user whose
// history is empty.
var ErrNoUser = fmt.Errorf("user does not exist: %w", domain.ErrNotFound)

// User is the user aggregate: the state its commands decide on, folded from
// its events. The zero User is a user that does not exist yet; Create is the
// only command it accepts.
//
// Commands are methods that return the new events and apply them to the
// receiver, so a command that fails leaves the User unchanged and a
// sequence of commands on one User sees its own effects. Stream revisions
// are the command layer's business, not the aggregate's.
//
// A User is not safe for concurrent use; load one per command.
type User struct {
	id            uuid.UUID
	created       bool
	email         string
	firstName     string
	lastName      string
	passwordHash  string
	passwordSetAt time.Time
	// mustChangePassword: the current password is a temporary one.
	mustChangePassword bool
	roles              []string // sorted, no duplicates
	orgID              string
	orgRole            string
	teams              map[uuid.UUID]Membership
	status             Status
	suspendedFor       string
	// resumeStatus is the status a reactivation returns to when the user
	// was suspended before it accepted its invitation or verified its
	// email; empty means active.
	resumeStatus Status
	dataHandling DataHandling
	notes        map[uuid.UUID]bool
	createdAt    time.Time
	attributes   map[string]string
	// links are the single-use link tokens: invitation, reset, verification.
	links links
}

// Load folds a user's history, oldest first, into a User.
func Load(history ...domain.Event) (*User, error) {
	u := &User{}
	if err := u.Fold(history...); err != nil {
		return nil, err
	}
	return u, nil
}

// Fold applies further stored events, e.g. the next page of a long stream.
// It fails only on an event that does not belong to the user aggregate,
// which means a wiring mistake; it never validates event contents, because
// history is fact and must always replay (even when erasure has left its
// personal data unreadable).
func (u *User) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := u.apply(e); err != nil {
			return err
		}
	}
	return nil
}

// apply is the one place where events change state, for replay and for new
// events alike.
func (u *User) apply(e domain.Event) error {
	switch e := e.(type) {
	case Created:
		u.id = e.UserID
		u.created = true
		u.email = e.PII.Email
		u.firstName = e.PII.FirstName
		u.lastName = e.PII.LastName
		u.roles = union(nil, e.Roles)
		u.orgID = e.OrgID
		u.orgRole = e.OrgRole
		u.status = e.StartStatus()
		u.attributes = e.PII.Attributes
		u.createdAt = e.At
	case PasswordSet:
		u.passwordHash = e.PII.PasswordHash
		u.passwordSetAt = e.At
		u.mustChangePassword = e.Temporary
	case InviteRequested:
		// Written at creation, instead of a password, before invitations
		// had their own status and link events: such a user is invited.
		if u.status == StatusActive && u.passwordHash == "" {
			u.status = StatusInvited
		}
	case NameChanged:
		u.firstName = e.PII.FirstName
		u.lastName = e.PII.LastName
	case EmailChanged:
		u.email = e.PII.Email
		// Links went to the old address: none of them may work now.
		for _, p := range []Purpose{PurposeInvitation, PurposeReset, PurposeVerification} {
			u.links.spend(p, CodeTokenEmailChanged)
		}
	case RolesAssigned:
		u.roles = union(u.roles, e.Roles)
	case RolesUnassigned:
		u.roles = difference(u.roles, union(nil, e.Roles))
	case OrganizationChanged:
		u.orgID = e.OrgID
	case OrgRoleChanged:
		u.orgRole = e.Role
	case TeamJoined:
		if u.teams == nil {
			u.teams = make(map[uuid.UUID]Membership)
		}
		u.teams[e.TeamID] = Membership{TeamID: e.TeamID, OrgID: e.OrgID, Role: e.Role}
	case TeamRoleChanged:
		if m, ok := u.teams[e.TeamID]; ok {
			m.Role = e.Role
			u.teams[e.TeamID] = m
		}
	case TeamLeft:
		delete(u.teams, e.TeamID)
	case Suspended:
		if u.status == StatusInvited || u.status == StatusUnverified {
			u.resumeStatus = u.status
		}
		// A suspension ends every live link; after a reactivation an admin
		// sends a new one.
		for _, p := range []Purpose{PurposeInvitation, PurposeReset, PurposeVerification} {
			u.links.spend(p, CodeTokenSuspended)
		}
		u.status = StatusSuspended
		u.suspendedFor = e.PII.Reason
	case Reactivated:
		u.status = e.NewStatus()
		u.suspendedFor = ""
		u.resumeStatus = ""
	case InvitationSent, InvitationRevoked, InvitationAccepted, ResetRequested, ResetCompleted, VerificationSent, EmailVerified:
		u.applyToken(e)
	case Deleted:
		u.status = StatusDeleted
		u.dataHandling = e.DataHandling
		u.suspendedFor = ""
		if e.DataHandling == Anonymize {
			u.email, u.firstName, u.lastName, u.passwordHash = "", "", "", ""
			u.attributes = nil
		}
		u.links = links{}
	case NoteAdded:
		if u.notes == nil {
			u.notes = make(map[uuid.UUID]bool)
		}
		u.notes[e.NoteID] = true
	default:
		return fmt.Errorf("user: cannot apply event %T (%s)", e, eventType(e))
	}
	return nil
}

func eventType(e domain.Event) string {
	if e == nil {
		return "nil"
	}
	return e.EventType()
}

// record applies new events and returns them; every command ends here.
func (u *User) record(events ...domain.Event) ([]domain.Event, error) {
	if err := u.Fold(events...); err != nil {
		return nil, err
	}
	return events, nil
}

// mustExist guards every command but Create: it fails with ErrNoUser or
// ErrDeleted.
func (u *User) mustExist() error {
	switch {
	case !u.created:
		return ErrNoUser
	case u.status == StatusDeleted:
		return ErrDeleted
	}
	return nil
}

// ID is the user's ID; uuid.Nil before Create.
func (u *User) ID() uuid.UUID { return u.id }

// Exists reports whether the user was created, deleted or not.
func (u *User) Exists() bool { return u.created }

// Email is the normalized email; empty after anonymization.
func (u *User) Email() string { return u.email }

// FirstName is the given name, possibly empty.
func (u *User) FirstName() string { return u.firstName }

// LastName is the family name, possibly empty.
func (u *User) LastName() string { return u.lastName }

// PasswordHash is the argon2id PHC hash of the current password; empty when
// none was set (e.g. an invited user who has not chosen one yet).
func (u *User) PasswordHash() string { return u.passwordHash }

// PasswordChangedAt is when the current password was set; the zero time
// when none was. Sessions that began before it are no longer valid.
func (u *User) PasswordChangedAt() time.Time { return u.passwordSetAt }

// MustChangePassword reports whether the current password is a temporary
// one that an admin set, which the user must replace before anything else.
func (u *User) MustChangePassword() bool { return u.mustChangePassword }

// Roles returns the role keys the user holds, sorted. The slice is a copy.
func (u *User) Roles() []string { return slices.Clone(u.roles) }

// HasRole reports whether the user holds the role key.
func (u *User) HasRole(key string) bool {
	_, found := slices.BinarySearch(u.roles, key)
	return found
}

// OrgID is the ID of the user's organization; empty for none.
func (u *User) OrgID() string { return u.orgID }

// OrgRole is the user's role key within its organization; empty for none.
func (u *User) OrgRole() string { return u.orgRole }

// Status is the user's status; empty before Create.
func (u *User) Status() Status { return u.status }

// SuspensionReason is the reason given for the current suspension, if any.
func (u *User) SuspensionReason() string { return u.suspendedFor }

// Deleted reports whether the user is deleted.
func (u *User) Deleted() bool { return u.status == StatusDeleted }

// DataHandling is the data-handling option of the deletion; empty unless
// deleted.
func (u *User) DataHandling() DataHandling { return u.dataHandling }

// Attributes are the additional profile fields of a self-registration
// (a copy; nil when none).
func (u *User) Attributes() map[string]string { return maps.Clone(u.attributes) }

// CreatedAt is the time of Create.
func (u *User) CreatedAt() time.Time { return u.createdAt }
