package role_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
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
	tests := []struct {
		name    string
		given   []domain.Event
		when    func(r *role.Role) ([]domain.Event, error)
		want    []domain.Event
		wantErr error
		field   string
	}{
		{name: "create", when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("auditor", " Auditor ", "", []role.Permission{role.ReadAudit, role.ReadAudit}, now)
		}, want: []domain.Event{created}},
		{name: "create twice", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("auditor", "Auditor", "", []role.Permission{role.ReadAudit}, now)
		}, wantErr: domain.ErrConflict, field: "key"},
		{name: "shadow a built-in role", when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("member", "Member", "", []role.Permission{role.ReadAudit}, now)
		}, wantErr: domain.ErrConflict, field: "key"},
		{name: "bad key", when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("Auditor!", "A", "", []role.Permission{role.ReadAudit}, now)
		}, wantErr: domain.ErrInvalid, field: "key"},
		{name: "unknown permission", when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("x", "X", "", []role.Permission{"users:destroy"}, now)
		}, wantErr: domain.ErrInvalid, field: "permissions"},
		{name: "no permission", when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("x", "X", "", nil, now)
		}, wantErr: domain.ErrInvalid, field: "permissions"},
		{name: "missing name", when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("x", " ", "", []role.Permission{role.ReadAudit}, now)
		}, wantErr: domain.ErrInvalid, field: "name"},
		{name: "rename", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Rename("Compliance auditor", now)
		}, want: []domain.Event{role.Renamed{Key: "auditor", Name: "Compliance auditor", At: now}}},
		{name: "rename to the same name", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Rename("Auditor", now)
		}},
		{name: "describe", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Describe("Reads the audit log", now)
		}, want: []domain.Event{role.Described{Key: "auditor", Description: "Reads the audit log", At: now}}},
		{name: "change permissions", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.ChangePermissions([]role.Permission{role.ReadReports, role.ReadAudit}, now)
		}, want: []domain.Event{role.PermissionsChanged{Key: "auditor", Permissions: []role.Permission{role.ReadAudit, role.ReadReports}, At: now}}},
		{name: "same permissions", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.ChangePermissions([]role.Permission{role.ReadAudit}, now)
		}},
		{name: "delete", given: []domain.Event{created}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Delete(now)
		}, want: []domain.Event{role.Deleted{Key: "auditor", At: now}}},
		{name: "rename a deleted role", given: []domain.Event{created, role.Deleted{Key: "auditor", At: now}}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Rename("X", now)
		}, wantErr: domain.ErrNotFound},
		{name: "recreate a deleted key", given: []domain.Event{created, role.Deleted{Key: "auditor", At: now}}, when: func(r *role.Role) ([]domain.Event, error) {
			return r.Create("auditor", "Auditor", "", []role.Permission{role.ReadAudit}, now)
		}, wantErr: domain.ErrConflict, field: "key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := role.Load(tc.given...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.when(r)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.field != "" {
				var ve *domain.ValidationError
				var ce *domain.ConflictError
				switch {
				case errors.As(err, &ve):
					if ve.Fields[0].Field != tc.field {
						t.Fatalf("validation error on %q, want %q", ve.Fields[0].Field, tc.field)
					}
				case errors.As(err, &ce):
					if ce.Field != tc.field {
						t.Fatalf("conflict on %q, want %q", ce.Field, tc.field)
					}
				default:
					t.Fatalf("error %v names no field", err)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			if err == nil {
				replayed, err := role.Load(append(tc.given, got...)...)
				if err != nil || !reflect.DeepEqual(replayed.Definition(), r.Definition()) {
					t.Fatalf("state after the command differs from a replay: %+v vs %+v", r.Definition(), replayed.Definition())
				}
			}
		})
	}
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
