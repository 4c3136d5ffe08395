package mfa_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/mfa"
)

func TestPolicySettings(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	on := mfa.Policy{RequireForAdmins: true}
	for _, tc := range []struct {
		name  string
		given []domain.Event
		set   mfa.Policy
		then  []domain.Event
	}{
		{"default is off; setting off changes nothing", nil, mfa.Policy{}, nil},
		{"turn on", nil, on, []domain.Event{mfa.PolicySet{Policy: on, At: at}}},
		{"on again changes nothing", []domain.Event{mfa.PolicySet{Policy: on, At: at}}, on, nil},
		{"turn off", []domain.Event{mfa.PolicySet{Policy: on, At: at}}, mfa.Policy{}, []domain.Event{mfa.PolicySet{At: at}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := mfa.LoadPolicy(tc.given...)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Set(tc.set, at); !reflect.DeepEqual(got, tc.then) {
				t.Fatalf("events %v, want %v", got, tc.then)
			}
			if s.Current() != tc.set {
				t.Fatalf("current %+v, want %+v", s.Current(), tc.set)
			}
		})
	}
	if _, err := mfa.LoadPolicy(mfa.Reset{}); err == nil {
		t.Fatal("a foreign event was folded into the policy")
	}
}
