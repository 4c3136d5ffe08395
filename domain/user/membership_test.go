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
			name:  "first org role",
			given: history(),
			when:  set("org_admin"),
			then:  []domain.Event{user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: "org_admin", At: now}},
		},
		{
			name:  "another org role",
			given: history(orgRole("member", "")),
			when:  set("org_admin"),
			then:  []domain.Event{user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: "org_admin", PreviousRole: "member", At: now}},
		},
		{
			name:  "empty role removes it",
			given: history(orgRole("member", "")),
			when:  set(""),
			then:  []domain.Event{user.OrgRoleChanged{UserID: userID, OrgID: "acme", PreviousRole: "member", At: now}},
		},
		{
			name:  "the current role changes nothing",
			given: history(orgRole("member", "")),
			when:  set("member"),
		},
		{
			name:  "no role for a user without organization changes nothing",
			given: history(noOrg),
			when:  set(""),
		},
		{
			name:       "a user without organization has no org role",
			given:      history(noOrg),
			when:       set("member"),
			wantErr:    domain.ErrConflict,
			wantFields: []string{"org_role:no_organization"},
		},
		{
			name:       "invalid role key",
			given:      history(),
			when:       set("Org Admin"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_role:invalid"},
		},
		{
			name:    "unknown user",
			when:    set("member"),
			wantErr: user.ErrNoUser,
		},
		{
			name:    "deleted user",
			given:   history(deleted(user.Soft)),
			when:    set("member"),
			wantErr: user.ErrDeleted,
		},
	})
}

func TestJoinTeam(t *testing.T) {
	join := func(orgID string, team uuid.UUID, role string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.JoinTeam(orgID, team, role, now) }
	}
	run(t, []scenario{
		{
			name:  "join with a role",
			given: history(),
			when:  join("acme", teamLow, "lead"),
			then:  []domain.Event{user.TeamJoined{UserID: userID, OrgID: "acme", TeamID: teamLow, Role: "lead", At: now}},
		},
		{
			name:  "join without a role gets the default",
			given: history(),
			when:  join("acme", teamLow, ""),
			then:  []domain.Event{user.TeamJoined{UserID: userID, OrgID: "acme", TeamID: teamLow, Role: user.DefaultTeamRole, At: now}},
		},
		{
			name:  "member with the same role changes nothing",
			given: history(joined(teamLow, "lead")),
			when:  join("acme", teamLow, "lead"),
		},
		{
			name:  "member with another role changes role",
			given: history(joined(teamLow, "lead"), joined(teamHigh, "member")),
			when:  join("acme", teamLow, "member"),
			then:  []domain.Event{user.TeamRoleChanged{UserID: userID, TeamID: teamLow, Role: "member", At: now}},
		},
		{
			name:       "team of another organization",
			given:      history(),
			when:       join("globex", teamLow, "lead"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"team_id:wrong_organization"},
		},
		{
			name:       "user without organization",
			given:      history(user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}),
			when:       join("", teamLow, "lead"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"team_id:wrong_organization"},
		},
		{
			name:       "every bad field at once",
			given:      history(),
			when:       join("acme", uuid.Nil, "Team Lead"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"team_id:required", "role:invalid"},
		},
		{
			name:    "deleted user",
			given:   history(deleted(user.Anonymize)),
			when:    join("acme", teamLow, "lead"),
			wantErr: user.ErrDeleted,
		},
	})
}

func TestLeaveTeam(t *testing.T) {
	leave := func(team uuid.UUID) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.LeaveTeam(team, now) }
	}
	run(t, []scenario{
		{
			name:  "leave",
			given: history(joined(teamLow, "lead"), joined(teamHigh, "member")),
			when:  leave(teamHigh),
			then:  []domain.Event{user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: teamHigh, Reason: user.LeftRemoved, At: now}},
		},
		{
			name:    "not a member",
			given:   history(joined(teamLow, "lead")),
			when:    leave(teamHigh),
			wantErr: domain.ErrNotFound,
		},
		{
			name:    "left already",
			given:   history(joined(teamLow, "lead"), user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: teamLow, Reason: user.LeftRemoved, At: t0}),
			when:    leave(teamLow),
			wantErr: domain.ErrNotFound,
		},
		{
			name:    "unknown user",
			when:    leave(teamLow),
			wantErr: user.ErrNoUser,
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
			name:  "keep roles: teams end in team order, then move, then default org role",
			given: inTeams,
			when:  transfer(" globex ", "", user.KeepRoles),
			then: []domain.Event{
				left(teamLow), left(teamHigh),
				moved("globex", ""),
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", PreviousRole: "org_admin", At: now},
			},
		},
		{
			name:  "empty handling keeps roles",
			given: history(),
			when:  transfer("globex", "org_admin", ""),
			then: []domain.Event{
				moved("globex", ""),
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "org_admin", At: now},
			},
		},
		{
			name:  "reset roles unassigns every direct role",
			given: history(user.RolesAssigned{UserID: userID, Roles: []string{"author"}, At: t0}, joined(teamLow, "lead")),
			when:  transfer("globex", "", user.ResetRoles),
			then: []domain.Event{
				left(teamLow),
				user.RolesUnassigned{UserID: userID, Roles: []string{"author", "member"}, At: now},
				moved("globex", user.ResetRoles),
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", At: now},
			},
		},
		{
			name:  "same org role in the new organization: no role event",
			given: history(orgRole("member", "")),
			when:  transfer("globex", "", user.KeepRoles),
			then:  []domain.Event{moved("globex", "")},
		},
		{
			name:  "leaving every organization ends the org role",
			given: inTeams,
			when:  transfer("", "", user.KeepRoles),
			then: []domain.Event{
				left(teamLow), left(teamHigh),
				moved("", ""),
				user.OrgRoleChanged{UserID: userID, PreviousRole: "org_admin", At: now},
			},
		},
		{
			name:  "joining an organization from none",
			given: history(user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}),
			when:  transfer("acme", "", user.KeepRoles),
			then: []domain.Event{
				user.OrganizationChanged{UserID: userID, OrgID: "acme", At: now},
				user.OrgRoleChanged{UserID: userID, OrgID: "acme", Role: "member", At: now},
			},
		},
		{
			name:       "same organization",
			given:      inTeams,
			when:       transfer("acme", "", user.KeepRoles),
			wantErr:    domain.ErrConflict,
			wantFields: []string{"organization_id:already_in_organization"},
		},
		{
			name:       "no organization to no organization",
			given:      history(user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: t0}),
			when:       transfer("", "", user.KeepRoles),
			wantErr:    domain.ErrConflict,
			wantFields: []string{"organization_id:already_in_organization"},
		},
		{
			name:       "every bad field at once",
			given:      history(),
			when:       transfer("glo bex", "Admin", "move_all"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_id:invalid", "org_role:invalid", "handling:invalid"},
		},
		{
			name:       "org role without organization",
			given:      history(),
			when:       transfer("", "member", user.KeepRoles),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_role:invalid"},
		},
		{
			name:    "deleted user",
			given:   history(deleted(user.Soft)),
			when:    transfer("globex", "", user.KeepRoles),
			wantErr: user.ErrDeleted,
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
			name:  "move ends teams and resets the org role",
			given: history(orgRole("org_admin", ""), joined(teamLow, "lead")),
			when:  edit(user.Patch{OrgID: ptr("globex"), Roles: ptr([]string{"member", "author"})}),
			then: []domain.Event{
				user.RolesAssigned{UserID: userID, Roles: []string{"author"}, At: now},
				user.TeamLeft{UserID: userID, OrgID: "acme", TeamID: teamLow, Reason: user.LeftTransfer, At: now},
				user.OrganizationChanged{UserID: userID, OrgID: "globex", PreviousOrgID: "acme", At: now},
				user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", PreviousRole: "org_admin", At: now},
			},
		},
		{
			name:  "same organization keeps teams",
			given: history(orgRole("org_admin", ""), joined(teamLow, "lead")),
			when:  edit(user.Patch{OrgID: ptr(" acme")}),
		},
	})
}

func TestCreateWithOrgRole(t *testing.T) {
	base := user.CreateInput{Email: "ada@example.com", SendInvite: true}
	with := func(org, role string) user.CreateInput {
		in := base
		in.OrgID, in.OrgRole = org, role
		return in
	}
	run(t, []scenario{
		{
			name: "org role kept",
			when: create(with("acme", "org_admin")),
			then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "ada@example.com"}, OrgID: "acme", OrgRole: "org_admin", At: now},
				user.InviteRequested{UserID: userID, At: now},
			},
		},
		{
			name:       "org role without organization",
			when:       create(with("", "member")),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_role:invalid"},
		},
		{
			name:       "invalid org role",
			when:       create(with("acme", "Org Admin")),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_role:invalid"},
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
