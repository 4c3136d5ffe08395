package user_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestAssignAndUnassignRoles(t *testing.T) {
	assign := func(keys ...string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.AssignRoles(keys, now) }
	}
	unassign := func(keys ...string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.UnassignRoles(keys, now) }
	}
	run(t, []scenario{
		{
			Name:  "assign lists only new keys, sorted",
			Given: history(),
			When:  assign("vendor", "member", "author", "vendor"),
			Then:  []domain.Event{user.RolesAssigned{UserID: userID, Roles: []string{"author", "vendor"}, At: now}},
		},
		{
			Name:  "assign held keys changes nothing",
			Given: history(),
			When:  assign("member", "member"),
		},
		{
			Name:  "assign no keys changes nothing",
			Given: history(),
			When:  assign(),
		},
		{
			Name:       "assign invalid keys",
			Given:      history(),
			When:       assign("Expert", "org admin", "ok_key", "9lives"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"roles:invalid", "roles:invalid", "roles:invalid"},
		},
		{
			Name:  "unassign lists only held keys",
			Given: history(user.RolesAssigned{UserID: userID, Roles: []string{"expert", "org_admin"}, At: t0}),
			When:  unassign("org_admin", "vendor", "member"),
			Then:  []domain.Event{user.RolesUnassigned{UserID: userID, Roles: []string{"member", "org_admin"}, At: now}},
		},
		{
			Name:  "unassign keys not held changes nothing",
			Given: history(),
			When:  unassign("vendor"),
		},
		{
			Name:       "unassign invalid key",
			Given:      history(),
			When:       unassign(""),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"roles:invalid"},
		},
	})
}

func TestNormalizeRoles(t *testing.T) {
	got, err := user.NormalizeRoles([]string{"system_admin", "a", "org-admin", "a", strings.Repeat("r", 64)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "org-admin", strings.Repeat("r", 64), "system_admin"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"", "Member", "_x", "-x", "1x", "a b", "é", strings.Repeat("r", 65)} {
		if _, err := user.NormalizeRoles([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRolesAccessors(t *testing.T) {
	u := load(t, history(user.RolesAssigned{UserID: userID, Roles: []string{"expert"}, At: t0})...)
	roles := u.Roles()
	if !slices.Equal(roles, []string{"expert", "member"}) || !u.HasRole("expert") || u.HasRole("vendor") {
		t.Fatalf("roles = %q", roles)
	}
	roles[0] = "tampered"
	if !u.HasRole("expert") {
		t.Fatal("Roles returned the aggregate's own slice")
	}
}
