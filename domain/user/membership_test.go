package user_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

// Teams of the user's organization "acme" in the scenarios; teamLow sorts
// before teamHigh.
var (
	teamLow  = uuid.MustParse("7e000000-0000-4000-8000-000000000001")
	teamHigh = uuid.MustParse("7e000000-0000-4000-8000-000000000002")
)

func joined(team uuid.UUID, role string) user.TeamJoined {
	return user.TeamJoined{UserID: userID, OrgID: "acme", TeamID: team, Role: role, At: t0}
}

func orgRole(role, previous string) user.OrgRoleChanged {
	return user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: role, PreviousRole: previous, At: t0}
}

func TestSetOrgRole(t *testing.T) {
	set := func(role string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.SetOrgRole(role, now) }
	}
	noOrg := user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}
	run(t, []scenario{
		{
			Name:  "first org role",
			Given: history(),
			When:  set("org_admin"),
			Then:  []domain.Event{user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: "org_admin", At: now}},
		},
		{
			Name:  "another org role",
			Given: history(orgRole("member", "")),
			When:  set("org_admin"),
			Then:  []domain.Event{user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: "org_admin", PreviousRole: "member", At: now}},
		},
		{
			Name:  "empty role removes it",
			Given: history(orgRole("member", "")),
			When:  set(""),
			Then:  []domain.Event{user.OrgRoleChanged{UserID: userID, OrgID: "acme", PreviousRole: "member", At: now}},
		},
		{
			Name:  "the current role changes nothing",
			Given: history(orgRole("member", "")),
			When:  set("member"),
		},
		{
			Name:  "no role for a user without organization changes nothing",
			Given: history(noOrg),
			When:  set(""),
		},
		{
			Name:       "a user without organization has no org role",
			Given:      history(noOrg),
			When:       set("member"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"org_role:no_organization"},
		},
		{
			Name:       "invalid role key",
			Given:      history(),
			When:       set("Org Admin"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_role:invalid"},
		},
		{
			Name:    "unknown user",
			When:    set("member"),
			WantErr: user.ErrNoUser,
		},
		{
			Name:    "deleted user",
			Given:   history(deleted(user.Soft)),
			When:    set("member"),
			WantErr: user.ErrDeleted,
		},
	})
}

func TestJoinTeam(t *testing.T) {
	join := func(orgID string, team uuid.UUID, role string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.JoinTeam(orgID, team, role, now) }
	}
	run(t, []scenario{
		{
			Name:  "join with a role",
			Given: history(),
			When:  join("acme", teamLow, "lead"),
			Then:  []domain.Event{user.TeamJoined{UserID: userID, OrgID: "acme", TeamID: teamLow, Role: "lead", At: now}},
		},
		{
			Name:  "join without a role gets the default",
			Given: history(),
			When:  join("acme", teamLow, ""),
			Then:  []domain.Event{user.TeamJoined{UserID: userID, OrgID: "acme", TeamID: teamLow, Role: user.DefaultTeamRole, At: now}},
		},
		{
			Name:  "member with the same role changes nothing",
			Given: history(joined(teamLow, "lead")),
			When:  join("acme", teamLow, "lead"),
		},
		{
			Name:  "member with another role changes role",
			Given: history(joined(teamLow, "lead"), joined(teamHigh, "member")),
			When:  join("acme", teamLow, "member"),
			Then:  []domain.Event{user.TeamRoleChanged{UserID: userID, TeamID: teamLow, Role: "member", At: now}},
		},
		{
			Name:       "team of another organization",
			Given:      history(),
			When:       join("globex", teamLow, "lead"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"team_id:wrong_organization"},
		},
		{
			Name:       "user without organization",
			Given:      history(user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}),
			When:       join("", teamLow, "lead"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"team_id:wrong_organization"},
		},
		{
			Name:       "every bad field at once",
			Given:      history(),
			When:       join("acme", uuid.Nil, "Team Lead"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"team_id:required", "role:invalid"},
		},
		{
			Name:    "deleted user",
			Given:   history(deleted(user.Anonymize)),
			When:    join("acme", teamLow, "lead"),
			WantErr: user.ErrDeleted,
		},
	})
}

func TestLeaveTeam(t *testing.T) {
	leave := func(team uuid.UUID) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.LeaveTeam(team, now) }
	}
	run(t, []scenario{
		{
			Name:  "leave",
			Given: history(joined(teamLow, "lead"), joined(teamHigh, "member")),
			When:  leave(teamHigh),
			Then:  []domain.Event{user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: teamHigh, Reason: user.LeftRemoved, At: now}},
		},
		{
			Name:    "not a member",
			Given:   history(joined(teamLow, "lead")),
			When:    leave(teamHigh),
			WantErr: domain.ErrNotFound,
		},
		{
			Name:    "left already",
			Given:   history(joined(teamLow, "lead"), user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: teamLow, Reason: user.LeftRemoved, At: t0}),
			When:    leave(teamLow),
			WantErr: domain.ErrNotFound,
		},
		{
			Name:    "unknown user",
			When:    leave(teamLow),
			WantErr: user.ErrNoUser,
		},
	})
}

func TestNotMemberErrorNamesTheTeam(t *testing.T) {
	u := load(t, history()...)
	_, err := u.LeaveTeam(teamLow, now)
	var nm *user.NotMemberError
	if !errors.As(err, &nm) || nm.TeamID != teamLow || err.Error() != "not a member of team "+teamLow.String()+": not found" {
		t.Fatalf("err = %v", err)
	}
}

func TestTransfer(t *testing.T) {
	transfer := func(orgID, role string, h user.TransferHandling) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.Transfer(orgID, role, h, now) }
	}
	left := func(team uuid.UUID) user.TeamLeft {
		return user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: team, Reason: user.LeftTransfer, At: now}
	}
	moved := func(to string, h user.TransferHandling) user.OrganizationChanged {
		return user.OrganizationChanged{UserID: userID, OrgID: to, PreviousOrgID: "acme", Handling: string(h), At: now}
	}
	inTeams := history(orgRole("org_admin", ""), joined(teamHigh, "lead"), joined(teamLow, "member"))
	run(t, []scenario{
		{
			Name:  "keep roles: teams end in team order, then move, then default org role",
			Given: inTeams,
			When:  transfer(" globex ", "", user.KeepRoles),
			Then: []domain.Event{
				left(teamLow), left(teamHigh),
				moved("globex", ""),
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", PreviousRole: "org_admin", At: now},
			},
		},
		{
			Name:  "empty handling keeps roles",
			Given: history(),
			When:  transfer("globex", "org_admin", ""),
			Then: []domain.Event{
				moved("globex", ""),
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "org_admin", At: now},
			},
		},
		{
			Name:  "reset roles unassigns every direct role",
			Given: history(user.RolesAssigned{UserID: userID, Roles: []string{"author"}, At: t0}, joined(teamLow, "lead")),
			When:  transfer("globex", "", user.ResetRoles),
			Then: []domain.Event{
				left(teamLow),
				user.RolesUnassigned{UserID: userID, Roles: []string{"author", "member"}, At: now},
				moved("globex", user.ResetRoles),
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", At: now},
			},
		},
		{
			Name:  "same org role in the new organization: no role event",
			Given: history(orgRole("member", "")),
			When:  transfer("globex", "", user.KeepRoles),
			Then:  []domain.Event{moved("globex", "")},
		},
		{
			Name:  "leaving every organization ends the org role",
			Given: inTeams,
			When:  transfer("", "", user.KeepRoles),
			Then: []domain.Event{
				left(teamLow), left(teamHigh),
				moved("", ""),
				user.OrgRoleChanged{UserID: userID, PreviousRole: "org_admin", At: now},
			},
		},
		{
			Name:  "joining an organization from none",
			Given: history(user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}),
			When:  transfer("acme", "", user.KeepRoles),
			Then: []domain.Event{
				user.OrganizationChanged{UserID: userID, OrgID: "acme", At: now},
				user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: "member", At: now},
			},
		},
		{
			Name:       "same organization",
			Given:      inTeams,
			When:       transfer("acme", "", user.KeepRoles),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"organization_id:already_in_organization"},
		},
		{
			Name:       "no organization to no organization",
			Given:      history(user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}),
			When:       transfer("", "", user.KeepRoles),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"organization_id:already_in_organization"},
		},
		{
			Name:       "every bad field at once",
			Given:      history(),
			When:       transfer("glo bex", "Admin", "move_all"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_id:invalid", "org_role:invalid", "handling:invalid"},
		},
		{
			Name:       "org role without organization",
			Given:      history(),
			When:       transfer("", "member", user.KeepRoles),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_role:invalid"},
		},
		{
			Name:    "deleted user",
			Given:   history(deleted(user.Soft)),
			When:    transfer("globex", "", user.KeepRoles),
			WantErr: user.ErrDeleted,
		},
	})
}

// TestEditMovesLikeTransfer: an edit of the organization ends the old
// organization's teams and gives the default org role, keeping roles.
func TestEditMovesLikeTransfer(t *testing.T) {
	edit := func(p user.Patch) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.Edit(p, now) }
	}
	run(t, []scenario{
		{
			Name:  "move ends teams and resets the org role",
			Given: history(orgRole("org_admin", ""), joined(teamLow, "lead")),
			When:  edit(user.Patch{OrgID: ptr("globex"), Roles: ptr([]string{"member", "author"})}),
			Then: []domain.Event{
				user.RolesAssigned{UserID: userID, Roles: []string{"author"}, At: now},
				user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: teamLow, Reason: user.LeftTransfer, At: now},
				user.OrganizationChanged{UserID: userID, OrgID: "globex", PreviousOrgID: "acme", At: now},
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", PreviousRole: "org_admin", At: now},
			},
		},
		{
			Name:  "same organization keeps teams",
			Given: history(orgRole("org_admin", ""), joined(teamLow, "lead")),
			When:  edit(user.Patch{OrgID: ptr(" acme")}),
		},
	})
}

func TestCreateWithOrgRole(t *testing.T) {
	base := user.CreateInput{Email: "ada@example.com", SendInvite: true, Invitation: invite}
	with := func(org, role string) user.CreateInput {
		in := base
		in.OrgID, in.OrgRole = org, role
		return in
	}
	run(t, []scenario{
		{
			Name: "org role kept",
			When: create(with("acme", "org_admin")),
			Then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "ada@example.com"}, OrgID: "acme", OrgRole: "org_admin", Status: user.StatusInvited, At: now},
				user.InvitationSent{UserID: userID, Token: invite, At: now},
			},
		},
		{
			Name:       "org role without organization",
			When:       create(with("", "member")),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_role:invalid"},
		},
		{
			Name:       "invalid org role",
			When:       create(with("acme", "Org Admin")),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_role:invalid"},
		},
	})
}

func TestMembershipAccessors(t *testing.T) {
	u := load(t, history(
		orgRole("org_admin", ""),
		joined(teamHigh, "lead"),
		joined(teamLow, "member"),
		user.TeamRoleChanged{UserID: userID, TeamID: teamHigh, Role: "member", At: t0},
	)...)
	if u.OrgRole() != "org_admin" {
		t.Fatalf("OrgRole() = %q", u.OrgRole())
	}
	want := []user.Membership{
		{TeamID: teamLow, OrgID: "acme", Role: "member"},
		{TeamID: teamHigh, OrgID: "acme", Role: "member"},
	}
	if got := u.Teams(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Teams() = %+v, want %+v", got, want)
	}
	if m, ok := u.Team(teamHigh); !ok || m.Role != "member" {
		t.Fatalf("Team(high) = %+v, %v", m, ok)
	}
	created := load(t, user.Created{UserID: userID, PII: user.PII{Email: "a@example.com"}, OrgID: "acme", OrgRole: "member", At: t0})
	if created.OrgRole() != "member" || len(created.Teams()) != 0 {
		t.Fatalf("created: role %q, teams %v", created.OrgRole(), created.Teams())
	}
}
