package passwordpolicy_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
)

func TestSettingsSet(t *testing.T) {
	strict := passwordpolicy.Policy{
		MinLength:      12,
		RequireClasses: []passwordpolicy.Class{passwordpolicy.ClassLower, passwordpolicy.ClassDigit},
		MaxAgeDays:     90, History: 5, RejectCommon: true,
	}
	shuffled := strict
	shuffled.RequireClasses = []passwordpolicy.Class{passwordpolicy.ClassDigit, passwordpolicy.ClassLower}
	setTo := func(p passwordpolicy.Policy) func(*passwordpolicy.Settings) ([]domain.Event, error) {
		return func(s *passwordpolicy.Settings) ([]domain.Event, error) { return s.Set(p, now) }
	}
	domaintest.Run(t, passwordpolicy.Load, []scenario{
		{Name: "first set", When: setTo(strict), Then: one(set(strict))},
		{Name: "the default when never set changes nothing", When: setTo(passwordpolicy.DefaultPolicy())},
		{Name: "unchanged", Given: one(set(strict)), When: setTo(strict)},
		{Name: "same classes in another order changes nothing", Given: one(set(strict)), When: setTo(shuffled)},
		{Name: "classes are recorded in canonical order", When: setTo(shuffled), Then: one(set(strict))},
		{Name: "back to the default", Given: one(set(strict)), When: setTo(passwordpolicy.DefaultPolicy()), Then: one(set(passwordpolicy.DefaultPolicy()))},
		{
			Name: "empty class list is recorded as none", Given: one(set(strict)),
			When: setTo(passwordpolicy.Policy{MinLength: 8, RequireClasses: []passwordpolicy.Class{}}),
			Then: one(set(passwordpolicy.Policy{MinLength: 8})),
		},
		{
			Name: "invalid names every bad field", Given: one(set(strict)),
			When:       setTo(passwordpolicy.Policy{MinLength: 7, RequireClasses: []passwordpolicy.Class{"emoji"}, MaxAgeDays: -1, History: 25}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"min_length:invalid", "require_classes:invalid", "max_age_days:invalid", "history:invalid"},
		},
	})
}

func TestSettingsCurrent(t *testing.T) {
	s, err := passwordpolicy.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Current(); !reflect.DeepEqual(got, passwordpolicy.DefaultPolicy()) {
		t.Fatalf("never set: Current = %+v, want the default", got)
	}
	p := passwordpolicy.Policy{MinLength: 10, RequireClasses: []passwordpolicy.Class{passwordpolicy.ClassUpper}}
	s, err = passwordpolicy.Load(set(passwordpolicy.DefaultPolicy()), set(p))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Current()
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("Current = %+v, want the last set %+v", got, p)
	}
	got.RequireClasses[0] = passwordpolicy.ClassSymbol // must not reach the settings
	if !reflect.DeepEqual(s.Current(), p) {
		t.Fatal("Current shares its class list with the settings")
	}
	if _, err := passwordpolicy.Load(otherEvent{}); err == nil {
		t.Fatal("folded a foreign event into the settings")
	}
}

type otherEvent struct{}

func (otherEvent) EventType() string { return "other.thing_happened.v1" }

func TestPolicySetCodecRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(passwordpolicy.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []passwordpolicy.Policy{
		passwordpolicy.DefaultPolicy(),
		{MinLength: 16, RequireClasses: passwordpolicy.Classes(), MaxAgeDays: 30, History: 24},
	} {
		typ, data, err := codec.Marshal(set(p))
		if err != nil {
			t.Fatal(err)
		}
		if typ != "settings.password_policy_set.v1" {
			t.Fatalf("type %q", typ)
		}
		back, err := codec.Unmarshal(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, set(p)) {
			t.Fatalf("round trip %#v, want %#v", back, set(p))
		}
	}
	data, err := json.Marshal(passwordpolicy.Policy{MinLength: 12, RequireClasses: []passwordpolicy.Class{"lower", "digit"}, MaxAgeDays: 90, History: 5, RejectCommon: true})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"min_length":12,"require_classes":["lower","digit"],"max_age_days":90,"history":5,"reject_common":true}`
	if string(data) != want {
		t.Fatalf("JSON %s, want %s", data, want)
	}
}
