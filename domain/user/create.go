package user

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// CreateInput is what an admin, an import row or a sign-up gives for a new
// user. Only Email is required, and exactly one of PasswordHash and
// SendInvite: a user must have a way to log in.
type CreateInput struct {
	Email     string
	FirstName string
	LastName  string
	Roles     []string // role keys; none is allowed (defaults are a settings matter)
	OrgID     string   // optional organization ID
	// OrgRole is the role key within the organization; only with OrgID.
	// Empty means none: the command layer fills in DefaultOrgRole.
	OrgRole string
	// PasswordHash is the initial password as an argon2id PHC string,
	// hashed by the command layer.
	PasswordHash string
	// SendInvite asks for an invitation email instead of a password;
	// Invitation is then the link token the command layer minted, and the
	// user starts StatusInvited.
	SendInvite bool
	Invitation Token
	// SignUp marks a self-registration: Source is SourceRegistration.
	// With a Verification token the user starts StatusUnverified and
	// chooses its password when it follows the link (PasswordHash must be
	// empty); without, a password is required and the user is active.
	SignUp       bool
	Verification Token
	// Attributes are a sign-up's additional profile fields, already
	// validated against the registration settings.
	Attributes map[string]string
}

// SourceRegistration is Created.Source for a self-registration.
const SourceRegistration = "registration"

// MaxAttributes bounds CreateInput.Attributes; MaxAttributeLength bounds
// each value (in bytes).
const (
	MaxAttributes      = 20
	MaxAttributeLength = 4000
)

// Create decides the creation of the user id from in. It returns Created
// followed by PasswordSet or InviteRequested. Every invalid field is
// reported in one *domain.ValidationError. Creating a user whose stream
// already has history, even a deleted one, is a *domain.ConflictError: IDs
// are never reused.
//
// Email uniqueness is not checked here; it is a rule over all users that
// the command layer enforces with a reservation stream keyed by EmailKey.
func (u *User) Create(id uuid.UUID, in CreateInput, now time.Time) ([]domain.Event, error) {
	if u.created {
		return nil, &domain.ConflictError{Code: "already_exists", Message: "user already exists"}
	}
	var idErr, credErr error
	if id == uuid.Nil {
		idErr = domain.Invalid("id", domain.CodeRequired, "user ID is required")
	}
	email, emailErr := NewEmail(in.Email)
	first, firstErr := cleanText("first_name", in.FirstName, MaxNameLength, false)
	last, lastErr := cleanText("last_name", in.LastName, MaxNameLength, false)
	roles, rolesErr := NormalizeRoles(in.Roles)
	org, orgErr := normalizeOrgID(in.OrgID)
	orgRoleErr := checkRoleKey("org_role", in.OrgRole, true)
	if orgRoleErr == nil && orgErr == nil && org == "" && in.OrgRole != "" {
		orgRoleErr = domain.Invalid("org_role", domain.CodeInvalid, "an org role needs an organization")
	}
	switch {
	case in.SendInvite && in.SignUp:
		credErr = domain.Invalid("send_invite", domain.CodeInvalid, "a sign-up cannot send an invite")
	case in.SignUp && in.Verification.ID != uuid.Nil:
		// The password is chosen when following the verification link.
		credErr = checkNewToken(in.Verification, now)
		if in.PasswordHash != "" {
			credErr = domain.Invalid("password", domain.CodeInvalid, "with email verification the password is chosen through the emailed link")
		}
	case in.PasswordHash == "" && !in.SendInvite:
		credErr = domain.Invalid("password", domain.CodeRequired, "give an initial password or send an invite")
	case in.PasswordHash != "" && in.SendInvite:
		credErr = domain.Invalid("send_invite", domain.CodeInvalid, "give an initial password or send an invite, not both")
	case in.PasswordHash != "":
		credErr = checkPasswordHash(in.PasswordHash)
	case in.SendInvite:
		credErr = checkNewToken(in.Invitation, now)
	}
	var attrErr error
	if len(in.Attributes) > MaxAttributes {
		attrErr = domain.Invalid("fields", domain.CodeTooLong, "too many additional fields")
	}
	for k, v := range in.Attributes {
		if k == "" || len(k) > 100 || len(v) > MaxAttributeLength {
			attrErr = domain.Invalid("fields", domain.CodeInvalid, "additional fields have bad keys or values")
		}
	}
	if err := domain.CollectValidation(idErr, emailErr, firstErr, lastErr, rolesErr, orgErr, orgRoleErr, credErr, attrErr); err != nil {
		return nil, err
	}

	at := eventTime(now)
	c := Created{
		UserID:  id,
		PII:     PII{Email: email, FirstName: first, LastName: last, Attributes: in.Attributes},
		Roles:   roles,
		OrgID:   org,
		OrgRole: in.OrgRole,
		At:      at,
	}
	if in.SignUp {
		c.Source = SourceRegistration
	}
	switch {
	case in.SendInvite:
		c.Status = StatusInvited
		return u.record(c, InvitationSent{UserID: id, Token: stored(in.Invitation), At: at})
	case in.SignUp && in.Verification.ID != uuid.Nil:
		c.Status = StatusUnverified
		return u.record(c, VerificationSent{UserID: id, Token: stored(in.Verification), At: at})
	}
	return u.record(c, PasswordSet{UserID: id, PII: PasswordPII{PasswordHash: in.PasswordHash}, At: at})
}
