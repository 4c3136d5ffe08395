package user

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// Default role keys of memberships: the role a user gets in an
// organization it moves to, and in a team it joins, when none is named.
const (
	DefaultOrgRole  = "member"
	DefaultTeamRole = "member"
)

// Membership is the user's membership of one team of its organization.
type Membership struct {
	TeamID uuid.UUID
	OrgID  string
	Role   string // role key within the team
}

// TransferHandling is what a transfer to another organization does with
// the user's direct roles. Team memberships end in every case: teams belong
// to the organization the user leaves.
type TransferHandling string

// The handling options of Transfer.
const (
	// KeepRoles keeps the direct roles; it is the default.
	KeepRoles TransferHandling = "keep_roles"
	// ResetRoles unassigns every direct role.
	ResetRoles TransferHandling = "reset_roles"
)

// NotMemberError is returned by LeaveTeam for a team the user is not a
// member of. It matches domain.ErrNotFound.
type NotMemberError struct {
	TeamID uuid.UUID
}

// Error names the team.
func (e *NotMemberError) Error() string {
	return fmt.Sprintf("not a member of team %s: %v", e.TeamID, domain.ErrNotFound)
}

// Unwrap makes errors.Is(err, domain.ErrNotFound) true.
func (e *NotMemberError) Unwrap() error { return domain.ErrNotFound }

// Teams returns the user's team memberships sorted by team ID. The slice
// is a copy.
func (u *User) Teams() []Membership {
	out := slices.Collect(maps.Values(u.teams))
	slices.SortFunc(out, func(a, b Membership) int { return bytes.Compare(a.TeamID[:], b.TeamID[:]) })
	return out
}

// Team returns the user's membership of the team, if any.
func (u *User) Team(teamID uuid.UUID) (Membership, bool) {
	m, ok := u.teams[teamID]
	return m, ok
}

// SetOrgRole sets the user's role within its organization; "" removes it.
// The role key follows the rules of NormalizeRoles (field "org_role"); a
// user without an organization can hold no org role (a
// *domain.ConflictError, "no_organization"). The current role changes
// nothing.
func (u *User) SetOrgRole(role string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	if err := checkRoleKey("org_role", role, true); err != nil {
		return nil, err
	}
	if role == u.orgRole {
		return nil, nil
	}
	if u.orgID == "" {
		return nil, &domain.ConflictError{Field: "org_role", Code: "no_organization", Message: "the user belongs to no organization"}
	}
	return u.record(OrgRoleChanged{UserID: u.id, OrgID: u.orgID, Role: role, PreviousRole: u.orgRole, At: eventTime(now)})
}

// JoinTeam makes the user a member of the team teamID of the organization
// orgID with the role key role (DefaultTeamRole when empty; field "role").
// The team must belong to the user's current organization, else the
// *domain.ValidationError names "team_id" with the code
// "wrong_organization". Whether the team exists is for the command layer to
// check against the organization's stream. A member with another role gets
// TeamRoleChanged; a member with the same role changes nothing.
func (u *User) JoinTeam(orgID string, teamID uuid.UUID, role string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	var teamErr error
	if teamID == uuid.Nil {
		teamErr = domain.Invalid("team_id", domain.CodeRequired, "team ID is required")
	}
	if role == "" {
		role = DefaultTeamRole
	}
	roleErr := checkRoleKey("role", role, false)
	if err := domain.CollectValidation(teamErr, roleErr); err != nil {
		return nil, err
	}
	switch {
	case u.orgID == "":
		return nil, domain.Invalid("team_id", "wrong_organization", "the user belongs to no organization, so it can join no team")
	case orgID != u.orgID:
		return nil, domain.Invalid("team_id", "wrong_organization",
			fmt.Sprintf("team %s belongs to organization %q, not to the user's organization %q", teamID, orgID, u.orgID))
	}
	at := eventTime(now)
	m, member := u.teams[teamID]
	switch {
	case !member:
		return u.record(TeamJoined{UserID: u.id, OrgID: orgID, TeamID: teamID, Role: role, At: at})
	case m.Role != role:
		return u.record(TeamRoleChanged{UserID: u.id, TeamID: teamID, Role: role, At: at})
	}
	return nil, nil
}

// LeaveTeam takes the user out of a team (TeamLeft, reason LeftRemoved). A
// team the user is not a member of is a *NotMemberError. The team need not
// exist any more: memberships of deleted teams can be ended too.
func (u *User) LeaveTeam(teamID uuid.UUID, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	m, member := u.teams[teamID]
	if !member {
		return nil, &NotMemberError{TeamID: teamID}
	}
	return u.record(TeamLeft{UserID: u.id, OrgID: m.OrgID, TeamID: teamID, Reason: LeftRemoved, At: eventTime(now)})
}

// Transfer moves the user to the organization orgID, or out of every
// organization when orgID is empty. Its events, in order: TeamLeft (reason
// LeftTransfer) for every team membership, by team ID; RolesUnassigned of
// every direct role with ResetRoles; OrganizationChanged; and
// OrgRoleChanged when the role within the organization changes. That role
// becomes orgRole, DefaultOrgRole when orgRole is empty, and none when the
// user leaves every organization (an orgRole is then invalid).
//
// handling "" means KeepRoles. Moving to the organization the user is in
// is a *domain.ConflictError ("already_in_organization"). Whether the
// organization exists is for the command layer to check.
func (u *User) Transfer(orgID, orgRole string, handling TransferHandling, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	orgID, orgErr := normalizeOrgID(orgID)
	roleErr := checkRoleKey("org_role", orgRole, true)
	if roleErr == nil && orgID == "" && orgRole != "" {
		roleErr = domain.Invalid("org_role", domain.CodeInvalid, "a user without an organization has no org role")
	}
	var handlingErr error
	switch handling {
	case "":
		handling = KeepRoles
	case KeepRoles, ResetRoles:
	default:
		handlingErr = domain.Invalid("handling", domain.CodeInvalid, fmt.Sprintf("must be %q or %q", KeepRoles, ResetRoles))
	}
	if err := domain.CollectValidation(orgErr, roleErr, handlingErr); err != nil {
		return nil, err
	}
	if orgID == u.orgID {
		msg := fmt.Sprintf("already in organization %q", orgID)
		if orgID == "" {
			msg = "already in no organization"
		}
		return nil, &domain.ConflictError{Field: "organization_id", Code: "already_in_organization", Message: msg}
	}
	return u.record(u.transfer(orgID, orgRole, handling, now)...)
}

// transfer decides a move to another organization without applying it;
// orgID differs from the current one and the input is valid.
func (u *User) transfer(orgID, orgRole string, handling TransferHandling, now time.Time) []domain.Event {
	at := eventTime(now)
	var events []domain.Event
	for _, m := range u.Teams() {
		events = append(events, TeamLeft{UserID: u.id, OrgID: m.OrgID, TeamID: m.TeamID, Reason: LeftTransfer, At: at})
	}
	if handling == ResetRoles {
		events = append(events, u.unassignRoles(u.roles, now)...)
	}
	changed := OrganizationChanged{UserID: u.id, OrgID: orgID, PreviousOrgID: u.orgID, At: at}
	if handling != KeepRoles {
		changed.Handling = string(handling)
	}
	events = append(events, changed)
	switch {
	case orgID == "":
		orgRole = ""
	case orgRole == "":
		orgRole = DefaultOrgRole
	}
	if orgRole != u.orgRole {
		events = append(events, OrgRoleChanged{UserID: u.id, OrgID: orgID, Role: orgRole, PreviousRole: u.orgRole, At: at})
	}
	return events
}

// checkRoleKey checks one role key by the rules of NormalizeRoles, for the
// given field; optional accepts "" (no role).
func checkRoleKey(field, key string, optional bool) error {
	if optional && key == "" {
		return nil
	}
	if !validRoleKey(key) {
		return domain.Invalid(field, domain.CodeInvalid,
			fmt.Sprintf("%q is not a role key (lowercase letter, then up to 63 of a-z, 0-9, _ and -)", key))
	}
	return nil
}
