package registration_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/registration"
)

func TestSettingsChangedCodecRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(registration.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []registration.Settings{registration.Default(), {}, open()} {
		typ, data, err := codec.Marshal(changed(s))
		if err != nil {
			t.Fatal(err)
		}
		if typ != "registration.settings_changed.v1" {
			t.Fatalf("type %q", typ)
		}
		back, err := codec.Unmarshal(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, changed(s)) {
			t.Fatalf("round trip %#v, want %#v", back, changed(s))
		}
	}
	if registration.Stream != "settings-registration" {
		t.Fatalf("Stream = %q", registration.Stream)
	}
}

func TestSettingsJSON(t *testing.T) {
	s := registration.Settings{
		Enabled: true, RequireVerification: true, DefaultRoles: []string{"member"}, DefaultOrgID: "acme",
		DomainRules: []registration.DomainRule{{Domain: "example.com", Roles: []string{"author"}}},
		Fields:      []registration.Field{{Key: "company", Label: "Company", Type: registration.TypeString, Required: true}},
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"enabled":true,"require_verification":true,"default_roles":["member"],"default_org_id":"acme",` +
		`"domain_rules":[{"domain":"example.com","roles":["author"]}],` +
		`"fields":[{"key":"company","label":"Company","type":"string","required":true}]}`
	if string(data) != want {
		t.Fatalf("JSON %s, want %s", data, want)
	}
}
