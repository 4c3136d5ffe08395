package registration_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/registration"
)

func TestStateSet(t *testing.T) {
	setTo := func(s registration.Settings) func(*registration.State) ([]domain.Event, error) {
		return func(st *registration.State) ([]domain.Event, error) { return st.Set(s, now) }
	}
	// messy is open() as an admin might type it.
	messy := open()
	messy.DefaultRoles = []string{" member ", "member"}
	messy.DefaultOrgID = " public "
	messy.DomainRules = []registration.DomainRule{
		{Domain: " @Example.COM ", OrgID: "acme ", Roles: []string{"member", "author", "author"}},
		{Domain: "EU.example.com", OrgID: "acme-eu", Roles: []string{}},
		{Domain: "@partner.org", Roles: []string{"vendor"}},
	}
	messy.Fields = append([]registration.Field(nil), open().Fields...)
	messy.Fields[0].Key, messy.Fields[0].Label = " company", "  Company "
	messy.Fields[4].Type = " date "

	noRoles := open()
	noRoles.DefaultRoles = nil
	emptyLists := registration.Default()
	emptyLists.DomainRules, emptyLists.Fields = []registration.DomainRule{}, []registration.Field{}
	off := registration.Default()
	off.RequireVerification = false

	domaintest.Run(t, registration.Load, []scenario{
		{Name: "first set", When: setTo(open()), Then: one(changed(open()))},
		{Name: "the default when never set changes nothing", When: setTo(registration.Default())},
		{Name: "empty lists are the default's nil lists", When: setTo(emptyLists)},
		{Name: "unchanged", Given: one(changed(open())), When: setTo(open())},
		{Name: "unchanged once normalized", Given: one(changed(open())), When: setTo(messy)},
		{Name: "recorded normalized", When: setTo(messy), Then: one(changed(open()))},
		{Name: "no default roles", Given: one(changed(open())), When: setTo(noRoles), Then: one(changed(noRoles))},
		{Name: "one flag changed", When: setTo(off), Then: one(changed(off))},
		{Name: "back to the default", Given: one(changed(open())), When: setTo(registration.Default()), Then: one(changed(registration.Default()))},
		{
			Name: "invalid names every bad field", Given: one(changed(open())),
			When: setTo(registration.Settings{
				RequireVerification: true,
				DefaultRoles:        []string{"member", "Admin", " "},
				DefaultOrgID:        "no spaces",
				DomainRules: []registration.DomainRule{
					{Domain: "example.com", OrgID: strings.Repeat("o", 129), Roles: []string{"author", "bad role"}},
					{Domain: "@EXAMPLE.com"},
					{Domain: "localhost"},
					{Domain: "-bad.example.com"},
					{Domain: ""},
				},
				Fields: []registration.Field{
					{Key: "company", Label: "Company", Type: registration.TypeString, MaxLength: 1001},
					{Key: "company", Label: strings.Repeat("é", 101), Type: "text"},
					{Key: "", Label: " ", Type: ""},
					{Key: "Bad-Key", Label: "tab\there", Type: registration.TypeNumber, MaxLength: 10},
					{Key: "count", Label: "Count", Type: registration.TypeBoolean, MaxLength: -1},
				},
			}),
			WantErr: domain.ErrInvalid,
			WantFields: []string{
				"default_roles[1]:invalid", "default_roles[2]:required",
				"default_org_id:invalid",
				"domain_rules[0].org_id:too_long", "domain_rules[0].roles[1]:invalid",
				"domain_rules[1].domain:duplicate",
				"domain_rules[2].domain:invalid",
				"domain_rules[3].domain:invalid",
				"domain_rules[4].domain:required",
				"fields[0].max_length:invalid",
				"fields[1].key:duplicate", "fields[1].label:too_long", "fields[1].type:invalid",
				"fields[2].key:required", "fields[2].label:required", "fields[2].type:required",
				"fields[3].key:invalid", "fields[3].label:invalid", "fields[3].max_length:invalid",
				"fields[4].max_length:invalid",
			},
		},
		{
			Name: "too many rules and fields", When: setTo(registration.Settings{
				RequireVerification: true,
				DomainRules:         manyRules(registration.MaxDomainRules + 1),
				Fields:              manyFields(registration.MaxFields + 1),
			}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"domain_rules:too_many", "fields:too_many"},
		},
		{
			Name: "as many rules and fields as allowed",
			When: setTo(registration.Settings{RequireVerification: true, DomainRules: manyRules(registration.MaxDomainRules), Fields: manyFields(registration.MaxFields)}),
			Then: one(changed(registration.Settings{RequireVerification: true, DomainRules: manyRules(registration.MaxDomainRules), Fields: manyFields(registration.MaxFields)})),
		},
	})
}

func manyRules(n int) []registration.DomainRule {
	out := make([]registration.DomainRule, n)
	for i := range out {
		out[i] = registration.DomainRule{Domain: "d" + strings.Repeat("x", i%50) + string(rune('a'+i/50)) + ".example"}
	}
	return out
}

func manyFields(n int) []registration.Field {
	out := make([]registration.Field, n)
	for i := range out {
		out[i] = registration.Field{Key: "f" + strings.Repeat("x", i), Label: "F", Type: registration.TypeBoolean}
	}
	return out
}

func TestValidateBounds(t *testing.T) {
	longest := strings.Repeat("a", 63)
	tests := []struct {
		name       string
		s          registration.Settings
		wantFields []string // nil: valid
	}{
		{name: "default", s: registration.Default()},
		{name: "zero settings", s: registration.Settings{}},
		{name: "longest field key", s: withField(registration.Field{Key: "a" + strings.Repeat("b", 39), Label: "L", Type: registration.TypeString})},
		{name: "field key too long", s: withField(registration.Field{Key: "a" + strings.Repeat("b", 40), Label: "L", Type: registration.TypeString}), wantFields: []string{"fields[0].key:invalid"}},
		{name: "field key starting with a digit", s: withField(registration.Field{Key: "1a", Label: "L", Type: registration.TypeString}), wantFields: []string{"fields[0].key:invalid"}},
		{name: "longest label", s: withField(registration.Field{Key: "a", Label: strings.Repeat("é", 100), Type: registration.TypeString})},
		{name: "largest max length", s: withField(registration.Field{Key: "a", Label: "L", Type: registration.TypeString, MaxLength: 1000})},
		{name: "max length on a date", s: withField(registration.Field{Key: "a", Label: "L", Type: registration.TypeDate, MaxLength: 1}), wantFields: []string{"fields[0].max_length:invalid"}},
		{name: "longest domain label", s: withRule(longest + ".example.com")},
		{name: "domain label too long", s: withRule(longest + "a.example.com"), wantFields: []string{"domain_rules[0].domain:invalid"}},
		{name: "hyphen inside a label", s: withRule("my-company.co.uk")},
		{name: "label ending with a hyphen", s: withRule("bad-.example.com"), wantFields: []string{"domain_rules[0].domain:invalid"}},
		{name: "empty label", s: withRule("example..com"), wantFields: []string{"domain_rules[0].domain:invalid"}},
		{name: "trailing dot", s: withRule("example.com."), wantFields: []string{"domain_rules[0].domain:invalid"}},
		{name: "non-ASCII domain", s: withRule("bücher.de"), wantFields: []string{"domain_rules[0].domain:invalid"}},
		{name: "whole email instead of a domain", s: withRule("ada@example.com"), wantFields: []string{"domain_rules[0].domain:invalid"}},
		{name: "domain too long", s: withRule(strings.Repeat(longest+".", 4) + "com"), wantFields: []string{"domain_rules[0].domain:too_long"}},
		{name: "longest org ID", s: registration.Settings{DefaultOrgID: strings.Repeat("o", 128)}},
		{name: "domain rules without verification", s: registration.Settings{DomainRules: []registration.DomainRule{{Domain: "example.com"}}}, wantFields: []string{"domain_rules:invalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			got := domaintest.ErrorFields(err)
			if tc.wantFields == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.wantFields) {
				t.Fatalf("fields = %q, want %q (%v)", got, tc.wantFields, err)
			}
		})
	}
}

func withField(f registration.Field) registration.Settings {
	return registration.Settings{Fields: []registration.Field{f}}
}

func withRule(d string) registration.Settings {
	return registration.Settings{RequireVerification: true, DomainRules: []registration.DomainRule{{Domain: d}}}
}

func TestStateCurrent(t *testing.T) {
	st, err := registration.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Current(); !reflect.DeepEqual(got, registration.Default()) {
		t.Fatalf("never set: Current = %+v, want the default", got)
	}
	st, err = registration.Load(changed(registration.Default()), changed(open()))
	if err != nil {
		t.Fatal(err)
	}
	got := st.Current()
	if !reflect.DeepEqual(got, open()) {
		t.Fatalf("Current = %+v, want the last set", got)
	}
	// A copy: changing it must not reach the state.
	got.DefaultRoles[0] = "x"
	got.DomainRules[0].Roles[0] = "x"
	got.Fields[0].Key = "x"
	if !reflect.DeepEqual(st.Current(), open()) {
		t.Fatal("Current shares its lists with the state")
	}
	if _, err := registration.Load(otherEvent{}); err == nil {
		t.Fatal("folded a foreign event into the state")
	}
}
