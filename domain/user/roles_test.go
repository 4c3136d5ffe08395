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
			name:  "assign lists only new keys, sorted",
			given: history(),
			when:  assign("vendor", "member", "author", "vendor"),
			then:  []domain.Event{user.RolesAssigned{UserID: userID, Roles: []string{"author", "vendor"}, At: now}},
		},
		{
			name:  "assign held keys changes nothing",
			given: history(),
			when:  assign("member", "member"),
		},
		{
			name:  "assign no keys changes nothing",
			given: history(),
			when:  assign(),
		},
		{
			name:       "assign invalid keys",
			given:      history(),
			when:       assign("Expert", "org admin", "ok_key", "9lives"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"roles:invalid", "roles:invalid", "roles:invalid"},
		},
		{
			name:  "unassign lists only held keys",
			given: history(user.RolesAssigned{UserID: userID, Roles: []string{"expert", "org_admin"}, At: t0}),
			when:  unassign("org_admin", "vendor", "member"),
			then:  []domain.Event{user.RolesUnassigned{UserID: userID, Roles: []string{"member", "org_admin"}, At: now}},
		},
		{
			name:  "unassign keys not held changes nothing",
			given: history(),
			when:  unassign("vendor"),
		},
		{
			name:       "unassign invalid key",
			given:      history(),
			when:       unassign(""),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"roles:invalid"},
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
