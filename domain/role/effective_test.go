package role_test

import (
	"reflect"
	"testing"

	"github.com/clarynext/usermgmt/domain/role"
)

func TestEffectivePermissionsCombine(t *testing.T) {
	auditor := role.Definition{Key: "auditor", Name: "Auditor", Permissions: []role.Permission{role.ReadAudit, role.ReadReports}}
	c := role.NewCatalogue(auditor)
	grants := []role.Grant{
		{Kind: role.Direct, Role: role.Author},
		{Kind: role.Direct, Role: role.Expert},
		{Kind: role.OrgRole, Role: role.OrgAdmin, Scope: "acme"},
		{Kind: role.TeamRole, Role: "auditor", Scope: "team-1"},
		{Kind: role.Direct, Role: "deleted_role"},
	}
	got := map[role.Permission][]role.Grant{}
	for _, e := range c.Effective(grants) {
		got[e.Permission] = e.Sources
	}
	want := map[role.Permission][]role.Grant{
		role.RunActivities:    {grants[0], grants[1], grants[2]},
		role.AccessWorkspace:  {grants[0], grants[1], grants[2]},
		role.DesignActivities: {grants[0]},
		role.Mentor:           {grants[1]},
		role.ManageOrg:        {grants[2]},
		role.ReadUsers:        {grants[2]},
		role.WriteUsers:       {grants[2]},
		role.ReadReports:      {grants[2], grants[3]},
		role.ReadAudit:        {grants[3]},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("effective permissions\n got %v\nwant %v", got, want)
	}
}

func TestExplain(t *testing.T) {
	c := role.NewCatalogue()
	member := []role.Grant{{Kind: role.Direct, Role: role.Member}, {Kind: role.Direct, Role: "gone"}}
	tests := []struct {
		name string
		p    role.Permission
		want role.Explanation
	}{
		{"held", role.RunActivities, role.Explanation{Permission: role.RunActivities, Known: true, Held: true,
			Sources: []role.Grant{member[0]}, GrantedBy: []string{}, Unresolved: []role.Grant{member[1]}}},
		{"not held: which roles would grant it", role.Sell, role.Explanation{Permission: role.Sell, Known: true,
			Sources: []role.Grant{}, GrantedBy: []string{role.SystemAdmin, role.Vendor}, Unresolved: []role.Grant{member[1]}}},
		{"unknown permission", "users:destroy", role.Explanation{Permission: "users:destroy",
			Sources: []role.Grant{}, GrantedBy: []string{}, Unresolved: []role.Grant{member[1]}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Explain(tc.p, member); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
