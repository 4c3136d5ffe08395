package role_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/role"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestBuiltInRolesFollowTheSpec(t *testing.T) {
	c := role.NewCatalogue()
	perms := func(key string) []role.Permission {
		d, ok := c.Lookup(key)
		if !ok {
			t.Fatalf("no built-in role %q", key)
		}
		return d.Permissions
	}
	subset := func(a, b string) {
		t.Helper()
		for _, p := range perms(a) {
			found := false
			for _, q := range perms(b) {
				found = found || p == q
			}
			if !found {
				t.Errorf("%s lacks %s's permission %s", b, a, p)
			}
		}
		if len(perms(b)) <= len(perms(a)) {
			t.Errorf("%s adds nothing to %s", b, a)
		}
	}
	subset(role.Member, role.Author) // Author = Member + design
	subset(role.Member, role.Expert) // Expert = Member + mentoring
	subset(role.Author, role.Vendor) // Vendor = Author + commerce
	if !reflect.DeepEqual(perms(role.SystemAdmin), role.All()) {
		t.Errorf("System Admin holds %v, want every permission", perms(role.SystemAdmin))
	}
	if !reflect.DeepEqual(perms(role.Expert), []role.Permission{role.RunActivities, role.Mentor, role.AccessWorkspace}) {
		t.Errorf("Expert: %v", perms(role.Expert))
	}
}

func TestCustomRole(t *testing.T) {
	created := role.Created{Key: "auditor", Name: "Auditor", Permissions: []role.Permission{role.ReadAudit}, At: now}
	domaintest.Run(t, role.Load, []domaintest.Scenario[*role.Role]{
		{Name: "create", When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("auditor", " Auditor ", "", []role.Permission{role.ReadAudit, role.ReadAudit}, now)
		}, Then: []domain.Event{created}},
		{Name: "create twice", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("auditor", "Auditor", "", []role.Permission{role.ReadAudit}, now)
		}, WantErr: domain.ErrConflict, WantFields: []string{"key:role_exists"}},
		{Name: "shadow a built-in role", When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("member", "Member", "", []role.Permission{role.ReadAudit}, now)
		}, WantErr: domain.ErrConflict, WantFields: []string{"key:built_in"}},
		{Name: "bad key", When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("Auditor!", "A", "", []role.Permission{role.ReadAudit}, now)
		}, WantErr: domain.ErrInvalid, WantFields: []string{"key:invalid"}},
		{Name: "unknown permission", When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("x", "X", "", []role.Permission{"users:destroy"}, now)
		}, WantErr: domain.ErrInvalid, WantFields: []string{"permissions:invalid"}},
		{Name: "no permission", When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("x", "X", "", nil, now)
		}, WantErr: domain.ErrInvalid, WantFields: []string{"permissions:required"}},
		{Name: "missing name", When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("x", " ", "", []role.Permission{role.ReadAudit}, now)
		}, WantErr: domain.ErrInvalid, WantFields: []string{"name:required"}},
		{Name: "rename", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Rename("Compliance auditor", now)
		}, Then: []domain.Event{role.Renamed{Key: "auditor", Name: "Compliance auditor", At: now}}},
		{Name: "rename to the same name", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Rename("Auditor", now)
		}},
		{Name: "describe", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Describe("Reads the audit log", now)
		}, Then: []domain.Event{role.Described{Key: "auditor", Description: "Reads the audit log", At: now}}},
		{Name: "change permissions", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.ChangePermissions([]role.Permission{role.ReadReports, role.ReadAudit}, now)
		}, Then: []domain.Event{role.PermissionsChanged{Key: "auditor", Permissions: []role.Permission{role.ReadAudit, role.ReadReports}, At: now}}},
		{Name: "same permissions", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.ChangePermissions([]role.Permission{role.ReadAudit}, now)
		}},
		{Name: "delete", Given: []domain.Event{created}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Delete(now)
		}, Then: []domain.Event{role.Deleted{Key: "auditor", At: now}}},
		{Name: "rename a deleted role", Given: []domain.Event{created, role.Deleted{Key: "auditor", At: now}}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Rename("X", now)
		}, WantErr: domain.ErrNotFound},
		{Name: "recreate a deleted key", Given: []domain.Event{created, role.Deleted{Key: "auditor", At: now}}, When: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("auditor", "Auditor", "", []role.Permission{role.ReadAudit}, now)
		}, WantErr: domain.ErrConflict, WantFields: []string{"key:role_exists"}},
	})
}

func TestCodecRoundTrip(t *testing.T) {
	c, err := domain.NewCodec(role.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []domain.Event{
		role.Created{Key: "k", Name: "N", Description: "D", Permissions: []role.Permission{role.ReadAudit}, At: now},
		role.Renamed{Key: "k", Name: "M", At: now}, role.Described{Key: "k", Description: "E", At: now},
		role.PermissionsChanged{Key: "k", Permissions: []role.Permission{role.ReadUsers}, At: now}, role.Deleted{Key: "k", At: now},
	} {
		typ, data, err := c.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Unmarshal(typ, data)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("%s round trip: %v, %v", typ, back, err)
		}
	}
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key   string
		valid bool
	}{
		{"auditor", true}, {"a", true}, {"team_lead-2", true}, {"a" + strings.Repeat("b", 63), true},
		{"", false}, {"Auditor", false}, {"2fa", false}, {"_x", false}, {"a/b", false}, {"a b", false},
		{"a" + strings.Repeat("b", 64), false},
	}
	for _, tc := range tests {
		err := role.CheckKey(tc.key)
		var ve *domain.ValidationError
		switch {
		case tc.valid && err != nil:
			t.Errorf("CheckKey(%q) = %v, want nil", tc.key, err)
		case !tc.valid && (!errors.As(err, &ve) || ve.Fields[0].Field != "key"):
			t.Errorf("CheckKey(%q) = %v, want a validation error on key", tc.key, err)
		}
	}
}
