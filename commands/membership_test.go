package commands_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// world is the starting point of the membership tests: organizations
// "acme" (teams Ops and Dev, Dev deleted), "globex" (team Sales) and the
// archived "old"; a user in acme.
type world struct {
	f               *orgFixture
	ops, dev, sales uuid.UUID
	userID          uuid.UUID
	userRevision    uint64
}

func newWorld(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	f := newOrgFixture(t, nil)
	w := world{f: f}
	f.createOrg(t, "acme", "Acme")
	f.createOrg(t, "globex", "Globex")
	f.createOrg(t, "old", "Old")
	w.ops = f.createTeam(t, "acme", "Ops")
	w.dev = f.createTeam(t, "acme", "Dev")
	w.sales = f.createTeam(t, "globex", "Sales")
	if _, err := f.orgs.Archive(ctx, md, "old", nil); err != nil {
		t.Fatal(err)
	}
	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "ada@example.com", OrgID: "acme", Roles: []string{"author"}, SendInvite: true})
	if err != nil {
		t.Fatal(err)
	}
	w.userID, w.userRevision = res.ID, res.Revision
	return w
}

func (w world) load(t *testing.T) *user.User {
	t.Helper()
	var events []domain.Event
	codec, err := domain.NewCodec(user.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := w.f.store.ReadStream(context.Background(), user.Stream(w.userID), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		e, err := codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	u, err := user.Load(events...)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// membershipCase runs one command against a fresh world and checks the
// error or the event types it appended to the user's stream.
type membershipCase struct {
	name       string
	before     func(t *testing.T, w world) // extra setup
	run        func(w world) (commands.Result, error)
	wantErr    error
	wantFields []string
	wantTypes  []string // event types appended by the command
	check      func(t *testing.T, u *user.User)
}

func runMembership(t *testing.T, cases []membershipCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.before != nil {
				tc.before(t, w)
			}
			before := len(w.f.types(t, user.Stream(w.userID)))
			res, err := tc.run(w)
			after := w.f.types(t, user.Stream(w.userID))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if tc.wantFields != nil && !reflect.DeepEqual(errFields(err), tc.wantFields) {
					t.Fatalf("fields %q, want %q", errFields(err), tc.wantFields)
				}
				if len(after) != before {
					t.Fatalf("a failed command appended %q", after[before:])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := after[before:]; !slices.Equal(got, tc.wantTypes) || res.Appended != (len(tc.wantTypes) > 0) {
				t.Fatalf("appended %q (result %+v), want %q", got, res, tc.wantTypes)
			}
			if tc.check != nil {
				tc.check(t, w.load(t))
			}
		})
	}
}

func TestSetOrgRoleCommand(t *testing.T) {
	ctx := context.Background()
	runMembership(t, []membershipCase{
		{
			name: "set",
			run: func(w world) (commands.Result, error) {
				return w.f.users.SetOrgRole(ctx, md, w.userID, nil, "org_admin")
			},
			wantTypes: []string{user.TypeOrgRoleChanged},
			check: func(t *testing.T, u *user.User) {
				if u.OrgRole() != "org_admin" {
					t.Fatalf("org role %q", u.OrgRole())
				}
			},
		},
		{
			name: "the current role changes nothing",
			run:  func(w world) (commands.Result, error) { return w.f.users.SetOrgRole(ctx, md, w.userID, nil, "member") },
		},
		{
			name:       "unknown role",
			run:        func(w world) (commands.Result, error) { return w.f.users.SetOrgRole(ctx, md, w.userID, nil, "owner") },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_role:unknown"},
		},
		{
			name: "stale If-Match",
			run: func(w world) (commands.Result, error) {
				return w.f.users.SetOrgRole(ctx, md, w.userID, ptrU64(w.userRevision-1), "org_admin")
			},
			wantErr: domain.ErrPreconditionFailed,
		},
		{
			name: "archived organization",
			before: func(t *testing.T, w world) {
				if _, err := w.f.orgs.Archive(ctx, md, "acme", nil); err != nil {
					t.Fatal(err)
				}
			},
			run: func(w world) (commands.Result, error) {
				return w.f.users.SetOrgRole(ctx, md, w.userID, nil, "org_admin")
			},
			wantErr: org.ErrArchived,
		},
		{
			name: "unknown user",
			run: func(w world) (commands.Result, error) {
				return w.f.users.SetOrgRole(ctx, md, uuid.New(), nil, "org_admin")
			},
			wantErr: user.ErrNoUser,
		},
	})
}

func TestJoinTeamCommand(t *testing.T) {
	ctx := context.Background()
	join := func(w world, team uuid.UUID, role string) (commands.Result, error) {
		return w.f.users.JoinTeam(ctx, md, w.userID, nil, team, role)
	}
	joinOps := func(t *testing.T, w world) {
		if _, err := join(w, w.ops, "lead"); err != nil {
			t.Fatal(err)
		}
	}
	runMembership(t, []membershipCase{
		{
			name:      "join",
			run:       func(w world) (commands.Result, error) { return join(w, w.ops, "lead") },
			wantTypes: []string{user.TypeTeamJoined},
			check: func(t *testing.T, u *user.User) {
				if m, ok := u.Team(u.Teams()[0].TeamID); !ok || m.Role != "lead" || m.OrgID != "acme" {
					t.Fatalf("teams %+v", u.Teams())
				}
			},
		},
		{
			name:      "another role",
			before:    joinOps,
			run:       func(w world) (commands.Result, error) { return join(w, w.ops, "") },
			wantTypes: []string{user.TypeTeamRoleChanged},
		},
		{
			name:   "same role",
			before: joinOps,
			run:    func(w world) (commands.Result, error) { return join(w, w.ops, "lead") },
		},
		{
			name:       "team of another organization",
			run:        func(w world) (commands.Result, error) { return join(w, w.sales, "lead") },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"team_id:unknown"},
		},
		{
			name: "deleted team",
			before: func(t *testing.T, w world) {
				if _, err := w.f.orgs.DeleteTeam(ctx, md, "acme", w.dev); err != nil {
					t.Fatal(err)
				}
			},
			run:        func(w world) (commands.Result, error) { return join(w, w.dev, "lead") },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"team_id:unknown"},
		},
		{
			name:       "unknown team role",
			run:        func(w world) (commands.Result, error) { return join(w, w.ops, "captain") },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"role:unknown"},
		},
		{
			name:       "invalid team role",
			run:        func(w world) (commands.Result, error) { return join(w, w.ops, "Captain") },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"role:invalid"},
		},
		{
			name: "archived organization",
			before: func(t *testing.T, w world) {
				if _, err := w.f.orgs.Archive(ctx, md, "acme", nil); err != nil {
					t.Fatal(err)
				}
			},
			run:     func(w world) (commands.Result, error) { return join(w, w.ops, "lead") },
			wantErr: org.ErrArchived,
		},
		{
			name: "user without organization",
			before: func(t *testing.T, w world) {
				if _, err := w.f.users.Transfer(ctx, md, w.userID, nil, "", "", user.KeepRoles); err != nil {
					t.Fatal(err)
				}
			},
			run:        func(w world) (commands.Result, error) { return join(w, w.ops, "lead") },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"team_id:wrong_organization"},
		},
	})
}

func TestLeaveTeamCommand(t *testing.T) {
	ctx := context.Background()
	leave := func(w world, team uuid.UUID) (commands.Result, error) {
		return w.f.users.LeaveTeam(ctx, md, w.userID, nil, team)
	}
	runMembership(t, []membershipCase{
		{
			name: "leave a deleted team of an archived organization",
			before: func(t *testing.T, w world) {
				if _, err := w.f.users.JoinTeam(ctx, md, w.userID, nil, w.dev, ""); err != nil {
					t.Fatal(err)
				}
				if _, err := w.f.orgs.DeleteTeam(ctx, md, "acme", w.dev); err != nil {
					t.Fatal(err)
				}
				if _, err := w.f.orgs.Archive(ctx, md, "acme", nil); err != nil {
					t.Fatal(err)
				}
			},
			run:       func(w world) (commands.Result, error) { return leave(w, w.dev) },
			wantTypes: []string{user.TypeTeamLeft},
			check: func(t *testing.T, u *user.User) {
				if len(u.Teams()) != 0 {
					t.Fatalf("teams %+v", u.Teams())
				}
			},
		},
		{
			name:    "not a member",
			run:     func(w world) (commands.Result, error) { return leave(w, w.ops) },
			wantErr: domain.ErrNotFound,
		},
	})
}

func TestTransferCommand(t *testing.T) {
	ctx := context.Background()
	inOps := func(t *testing.T, w world) {
		if _, err := w.f.users.JoinTeam(ctx, md, w.userID, nil, w.ops, "lead"); err != nil {
			t.Fatal(err)
		}
	}
	transfer := func(w world, orgID, orgRole string, h user.TransferHandling) (commands.Result, error) {
		return w.f.users.Transfer(ctx, md, w.userID, nil, orgID, orgRole, h)
	}
	runMembership(t, []membershipCase{
		{
			name:      "keep roles",
			before:    inOps,
			run:       func(w world) (commands.Result, error) { return transfer(w, "globex", "org_admin", user.KeepRoles) },
			wantTypes: []string{user.TypeTeamLeft, user.TypeOrganizationChanged, user.TypeOrgRoleChanged},
			check: func(t *testing.T, u *user.User) {
				if u.OrgID() != "globex" || u.OrgRole() != "org_admin" || len(u.Teams()) != 0 || !u.HasRole("author") {
					t.Fatalf("user: org %q role %q teams %v roles %v", u.OrgID(), u.OrgRole(), u.Teams(), u.Roles())
				}
			},
		},
		{
			name:      "reset roles",
			run:       func(w world) (commands.Result, error) { return transfer(w, "globex", "", user.ResetRoles) },
			wantTypes: []string{user.TypeRolesUnassigned, user.TypeOrganizationChanged},
			check: func(t *testing.T, u *user.User) {
				if len(u.Roles()) != 0 || u.OrgRole() != "member" {
					t.Fatalf("roles %v, org role %q", u.Roles(), u.OrgRole())
				}
			},
		},
		{
			name:       "unknown organization",
			run:        func(w world) (commands.Result, error) { return transfer(w, "initech", "", user.KeepRoles) },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"organization_id:unknown"},
		},
		{
			name:       "archived organization",
			run:        func(w world) (commands.Result, error) { return transfer(w, "old", "", user.KeepRoles) },
			wantErr:    domain.ErrConflict,
			wantFields: []string{"organization_id:archived"},
		},
		{
			name:       "unknown org role",
			run:        func(w world) (commands.Result, error) { return transfer(w, "globex", "owner", user.KeepRoles) },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_role:unknown"},
		},
		{
			name:       "same organization",
			run:        func(w world) (commands.Result, error) { return transfer(w, "acme", "", user.KeepRoles) },
			wantErr:    domain.ErrConflict,
			wantFields: []string{"organization_id:already_in_organization"},
		},
		{
			name:      "out of every organization",
			before:    inOps,
			run:       func(w world) (commands.Result, error) { return transfer(w, "", "", "") },
			wantTypes: []string{user.TypeTeamLeft, user.TypeOrganizationChanged, user.TypeOrgRoleChanged},
		},
	})
}

func TestEditAndAssignCheckReferences(t *testing.T) {
	ctx := context.Background()
	edit := func(w world, p user.Patch) (commands.Result, error) {
		return w.f.users.Edit(ctx, md, w.userID, nil, p)
	}
	str := func(s string) *string { return &s }
	runMembership(t, []membershipCase{
		{
			name:       "edit to an unknown organization",
			run:        func(w world) (commands.Result, error) { return edit(w, user.Patch{OrgID: str("initech")}) },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"organization_id:unknown"},
		},
		{
			name:       "edit to an archived organization",
			run:        func(w world) (commands.Result, error) { return edit(w, user.Patch{OrgID: str("old")}) },
			wantErr:    domain.ErrConflict,
			wantFields: []string{"organization_id:archived"},
		},
		{
			name: "edit to another organization ends teams",
			before: func(t *testing.T, w world) {
				if _, err := w.f.users.JoinTeam(ctx, md, w.userID, nil, w.ops, ""); err != nil {
					t.Fatal(err)
				}
			},
			run:       func(w world) (commands.Result, error) { return edit(w, user.Patch{OrgID: str("globex")}) },
			wantTypes: []string{user.TypeTeamLeft, user.TypeOrganizationChanged},
		},
		{
			name: "edit with unknown roles names each",
			run: func(w world) (commands.Result, error) {
				return edit(w, user.Patch{Roles: &[]string{"author", "wizard", "member", "zealot"}})
			},
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"roles:unknown", "roles:unknown"},
		},
		{
			name: "assign unknown role",
			run: func(w world) (commands.Result, error) {
				return w.f.users.AssignRoles(ctx, md, w.userID, nil, []string{"wizard"})
			},
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"roles:unknown"},
		},
		{
			name: "assign known role",
			run: func(w world) (commands.Result, error) {
				return w.f.users.AssignRoles(ctx, md, w.userID, nil, []string{"lead"})
			},
			wantTypes: []string{user.TypeRolesAssigned},
		},
		{
			name: "unassign",
			run: func(w world) (commands.Result, error) {
				return w.f.users.UnassignRoles(ctx, md, w.userID, nil, []string{"author"})
			},
			wantTypes: []string{user.TypeRolesUnassigned},
		},
	})
}

func TestCreateChecksReferences(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		cmd        commands.CreateUser
		wantFields []string
		wantErr    error
		orgRole    string
	}{
		{name: "organization gets the default org role", cmd: commands.CreateUser{OrgID: "acme"}, orgRole: "member"},
		{name: "explicit org role", cmd: commands.CreateUser{OrgID: "acme", OrgRole: "org_admin"}, orgRole: "org_admin"},
		{name: "no organization, no org role", cmd: commands.CreateUser{}},
		{name: "unknown organization", cmd: commands.CreateUser{OrgID: "initech"}, wantErr: domain.ErrInvalid, wantFields: []string{"organization_id:unknown"}},
		{name: "archived organization", cmd: commands.CreateUser{OrgID: "old"}, wantErr: domain.ErrConflict, wantFields: []string{"organization_id:archived"}},
		{
			name:       "every unknown reference at once",
			cmd:        commands.CreateUser{OrgID: "initech", OrgRole: "owner", Roles: []string{"wizard", "member"}},
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"roles:unknown", "org_role:unknown", "organization_id:unknown"},
		},
		{name: "org role without organization", cmd: commands.CreateUser{OrgRole: "member"}, wantErr: domain.ErrInvalid, wantFields: []string{"org_role:invalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.cmd.Email, tc.cmd.Password = "grace@example.com", "correct horse battery"
			res, err := w.f.users.Create(ctx, md, tc.cmd)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !reflect.DeepEqual(errFields(err), tc.wantFields) {
					t.Fatalf("err = %v (fields %q), want %v %q", err, errFields(err), tc.wantErr, tc.wantFields)
				}
				// Nothing written, not even the email reservation.
				if types := w.f.types(t, user.ReservationStream(user.EmailKey("grace@example.com"))); types != nil {
					t.Fatalf("reservation written: %q", types)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w.userID = res.ID
			if u := w.load(t); u.OrgRole() != tc.orgRole {
				t.Fatalf("org role %q, want %q", u.OrgRole(), tc.orgRole)
			}
		})
	}
}

// TestReferencesUncheckedByDefault: without a RoleLookup and CheckOrgs the
// user handlers take any well-formed key and organization ID, as before.
func TestReferencesUncheckedByDefault(t *testing.T) {
	f := newFixture(t)
	res, err := f.users.Create(context.Background(), md, commands.CreateUser{Email: "a@example.com", SendInvite: true, Roles: []string{"wizard"}, OrgID: "nowhere"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.AssignRoles(context.Background(), md, res.ID, nil, []string{"zealot"}); err != nil {
		t.Fatal(err)
	}
}

func TestRoleLookupFailureIsReported(t *testing.T) {
	f := newFixture(t)
	broken := errors.New("role store down")
	users, err := commands.NewUsers(commands.UsersConfig{Store: f.store, Hasher: &countingHasher{}, Roles: fakeRoleLookup{err: broken}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = users.Create(context.Background(), md, commands.CreateUser{Email: "a@example.com", SendInvite: true, Roles: []string{"member"}})
	if !errors.Is(err, broken) || errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want the lookup failure", err)
	}
}
