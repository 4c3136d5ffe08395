package roles_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/readmodels/redistest"
	"github.com/clarynext/usermgmt/readmodels/roles"
)

var (
	created = time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.UTC)
	updated = created.Add(90 * time.Minute)
)

func custom(key string, perms ...role.Permission) roles.Role {
	return roles.Role{Key: key, Name: "Role " + key, Description: "about " + key, Permissions: perms, Created: created, Updated: updated, Revision: 2}
}

// put stores the roles in one MULTI/EXEC, as the projector does.
func put(t *testing.T, rdb redis.UniversalClient, s *roles.Store, rs ...roles.Role) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.TxPipeline()
	for _, r := range rs {
		s.Put(ctx, pipe, r)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func keys(rs []roles.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}

func TestPutGet(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			s := roles.New(rdb, prefix)
			auditor := custom("auditor", role.ReadAudit, role.ReadReports)
			gone := custom("gone", role.ReadUsers)
			gone.Deleted = true

			pipe := rdb.TxPipeline()
			s.Put(ctx, pipe, auditor)
			if _, err := s.Get(ctx, "auditor"); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("Put wrote before EXEC: get = %v", err)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			put(t, rdb, s, gone)

			var member role.Definition
			for _, d := range role.BuiltIn() {
				if d.Key == role.Member {
					member = d
				}
			}
			tests := []struct {
				key     string
				want    roles.Role
				wantErr error
			}{
				{key: "auditor", want: auditor},
				{key: "gone", want: gone},
				{key: role.Member, want: roles.Role{Key: role.Member, Name: member.Name, Description: member.Description, Permissions: member.Permissions, BuiltIn: true, Revision: -1}},
				{key: "ghost", wantErr: domain.ErrNotFound},
				{key: "", wantErr: domain.ErrNotFound},
			}
			for _, tc := range tests {
				got, err := s.Get(ctx, tc.key)
				if !errors.Is(err, tc.wantErr) || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("Get(%q) = %+v, %v; want %+v, %v", tc.key, got, err, tc.want, tc.wantErr)
				}
			}

			stored, err := s.Stored(ctx, "auditor", "ghost", "gone", role.Member)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]roles.Role{"auditor": auditor, "gone": gone}; !reflect.DeepEqual(stored, want) {
				t.Fatalf("Stored = %+v, want %+v", stored, want)
			}

			// Built-in roles are never stored, so they cannot be shadowed.
			fake := custom(role.Member, role.ManageRoles)
			fake.BuiltIn = true
			put(t, rdb, s, fake)
			if got, _ := s.Get(ctx, role.Member); !got.BuiltIn || got.Name != member.Name {
				t.Fatalf("a put replaced the built-in role: %+v", got)
			}
			if got, _ := s.Stored(ctx, role.Member); len(got) != 0 {
				t.Fatalf("a built-in role was stored: %+v", got)
			}
		})
	}
}

func TestListOrder(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			s := roles.New(rdb, prefix)
			gone := custom("beta", role.ReadUsers)
			gone.Deleted = true
			put(t, rdb, s, custom("zeta", role.ReadAudit), gone, custom("alpha", role.ReadAudit), custom("a-team", role.ReadReports))

			builtIn := []string{role.Author, role.Expert, role.Member, role.OrgAdmin, role.SystemAdmin, role.Vendor}
			tests := []struct {
				includeDeleted bool
				want           []string
			}{
				{false, append(builtIn[:len(builtIn):len(builtIn)], "a-team", "alpha", "zeta")},
				{true, append(builtIn[:len(builtIn):len(builtIn)], "a-team", "alpha", "beta", "zeta")},
			}
			for _, tc := range tests {
				got, err := s.List(ctx, tc.includeDeleted)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(keys(got), tc.want) {
					t.Errorf("List(%v) = %v, want %v", tc.includeDeleted, keys(got), tc.want)
				}
				for i, r := range got {
					if r.BuiltIn != (i < len(builtIn)) {
						t.Errorf("List(%v)[%d] %s: BuiltIn = %v", tc.includeDeleted, i, r.Key, r.BuiltIn)
					}
					if r.Key == "beta" && !r.Deleted {
						t.Errorf("deleted role listed as live: %+v", r)
					}
				}
			}
			// The order is the catalogue's.
			c, err := s.Catalogue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var catalogue []string
			for _, d := range c.Roles() {
				catalogue = append(catalogue, d.Key)
			}
			if live, _ := s.List(ctx, false); !reflect.DeepEqual(keys(live), catalogue) {
				t.Fatalf("List %v, catalogue %v", keys(live), catalogue)
			}
		})
	}
}

func TestCatalogue(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			s := roles.New(rdb, prefix)

			empty, err := s.Catalogue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(empty, role.NewCatalogue()) {
				t.Fatalf("empty read model: catalogue %+v, want the built-in roles", empty.Roles())
			}

			auditor := custom("auditor", role.ReadAudit, role.ReadReports)
			gone := custom("gone", role.ReadUsers)
			put(t, rdb, s, auditor, gone)
			gone.Deleted = true
			put(t, rdb, s, gone) // deleted after it was live

			c, err := s.Catalogue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := role.NewCatalogue(role.Definition{Key: "auditor", Name: auditor.Name, Description: auditor.Description, Permissions: auditor.Permissions})
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("catalogue %+v, want %+v", c.Roles(), want.Roles())
			}
			if _, ok := c.Lookup("gone"); ok {
				t.Fatal("the catalogue resolves a deleted role")
			}
			if _, ok := c.Lookup(role.SystemAdmin); !ok {
				t.Fatal("the catalogue lacks a built-in role")
			}
			eff := c.Effective([]role.Grant{{Kind: role.Direct, Role: "auditor"}, {Kind: role.Direct, Role: "gone"}})
			if len(eff) != 2 || eff[0].Permission != role.ReadAudit || eff[1].Permission != role.ReadReports {
				t.Fatalf("effective permissions %+v", eff)
			}
		})
	}
}

// TestKeysStayUnderPrefix: every key the store writes starts with its prefix.
func TestKeysStayUnderPrefix(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Mini(t)
	s := roles.New(rdb, prefix)
	gone := custom("gone", role.ReadUsers)
	gone.Deleted = true
	put(t, rdb, s, custom("auditor", role.ReadAudit), gone)
	all, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("nothing written")
	}
	for _, k := range all {
		if len(k) < len(prefix) || k[:len(prefix)] != prefix {
			t.Errorf("key %q outside the prefix %q", k, prefix)
		}
	}
}
