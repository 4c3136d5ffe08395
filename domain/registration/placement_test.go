package registration_test

import (
	"slices"
	"testing"

	"github.com/clarynext/usermgmt/domain/registration"
)

func TestPlacement(t *testing.T) {
	// open(): defaults member + "public"; example.com -> acme with author
	// and member; eu.example.com -> acme-eu with the default roles;
	// partner.org -> vendor in the default organization.
	s := open()
	tests := []struct {
		name      string
		s         registration.Settings
		email     string
		wantRoles []string
		wantOrg   string
	}{
		{name: "no rule matches", s: s, email: "ada@gmail.com", wantRoles: []string{"member"}, wantOrg: "public"},
		{name: "exact domain", s: s, email: "ada@example.com", wantRoles: []string{"author", "member"}, wantOrg: "acme"},
		{name: "domain in another case", s: s, email: "Ada@EXAMPLE.Com", wantRoles: []string{"author", "member"}, wantOrg: "acme"},
		{name: "subdomain falls back to the parent's rule", s: s, email: "ada@dev.example.com", wantRoles: []string{"author", "member"}, wantOrg: "acme"},
		{name: "most specific rule wins", s: s, email: "ada@eu.example.com", wantRoles: []string{"member"}, wantOrg: "acme-eu"},
		{name: "most specific rule wins below it too", s: s, email: "ada@paris.eu.example.com", wantRoles: []string{"member"}, wantOrg: "acme-eu"},
		{name: "a suffix that is no parent domain", s: s, email: "ada@notexample.com", wantRoles: []string{"member"}, wantOrg: "public"},
		{name: "a parent of the rule's domain", s: s, email: "ada@com", wantRoles: []string{"member"}, wantOrg: "public"},
		{name: "rule without an organization", s: s, email: "bob@partner.org", wantRoles: []string{"vendor"}, wantOrg: "public"},
		{name: "the last @ starts the domain", s: s, email: `"a@b"@example.com`, wantRoles: []string{"author", "member"}, wantOrg: "acme"},
		{name: "no domain", s: s, email: "ada", wantRoles: []string{"member"}, wantOrg: "public"},
		{name: "empty domain", s: s, email: "ada@", wantRoles: []string{"member"}, wantOrg: "public"},
		{name: "defaults", s: registration.Default(), email: "ada@example.com", wantRoles: []string{"member"}},
		{name: "no roles at all", s: registration.Settings{DomainRules: []registration.DomainRule{{Domain: "example.com", OrgID: "acme"}}}, email: "ada@example.com", wantOrg: "acme"},
		{
			name:  "rules as typed, not yet normalized",
			s:     registration.Settings{DomainRules: []registration.DomainRule{{Domain: "@Example.com", Roles: []string{"expert"}}}},
			email: "ada@example.com", wantRoles: []string{"expert"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roles, org := tc.s.Placement(tc.email)
			if !slices.Equal(roles, tc.wantRoles) || org != tc.wantOrg {
				t.Fatalf("Placement(%q) = %q, %q; want %q, %q", tc.email, roles, org, tc.wantRoles, tc.wantOrg)
			}
		})
	}
}

func TestPlacementReturnsACopy(t *testing.T) {
	s := open()
	roles, _ := s.Placement("ada@example.com")
	roles[0] = "system_admin"
	defaults, _ := s.Placement("ada@gmail.com")
	defaults[0] = "system_admin"
	if !slices.Equal(s.DomainRules[0].Roles, []string{"author", "member"}) || !slices.Equal(s.DefaultRoles, []string{"member"}) {
		t.Fatal("Placement shares its role list with the settings")
	}
}
