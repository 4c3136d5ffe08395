package mfa

import (
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// PolicyStream holds the two-factor policy, an event-sourced setting.
const PolicyStream = "settings-two-factor"

// TypePolicySet is the type of PolicySet.
const TypePolicySet = "settings.two_factor_policy_set.v1"

// Policy is the two-factor policy. Two-factor is encouraged for everyone
// (GET /v1/me says so until a user enrols); RequireForAdmins makes it a
// must for administrators: one without a second factor gets a session that
// can do nothing but enrol one.
//
// It is off until an admin turns it on: the first System Admin must be able
// to log in and enrol before the rule binds it.
type Policy struct {
	RequireForAdmins bool `json:"require_for_admins"`
}

// PolicySet records a new policy.
type PolicySet struct {
	Policy Policy    `json:"policy"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (PolicySet) EventType() string { return TypePolicySet }

// PolicyRegistrations lists the policy event for domain.NewCodec.
func PolicyRegistrations() []domain.Registration {
	return []domain.Registration{domain.Register[PolicySet]()}
}

// PolicySettings is the policy's aggregate; the zero value is the default.
type PolicySettings struct{ current Policy }

// LoadPolicy folds the policy stream.
func LoadPolicy(history ...domain.Event) (*PolicySettings, error) {
	s := &PolicySettings{}
	for _, e := range history {
		p, ok := e.(PolicySet)
		if !ok {
			return nil, fmt.Errorf("mfa: cannot apply %T to the two-factor policy", e)
		}
		s.current = p.Policy
	}
	return s, nil
}

// Current is the policy in force.
func (s *PolicySettings) Current() Policy { return s.current }

// Set changes the policy; the same policy changes nothing.
func (s *PolicySettings) Set(p Policy, now time.Time) []domain.Event {
	if p == s.current {
		return nil
	}
	s.current = p
	return []domain.Event{PolicySet{Policy: p, At: now.UTC()}}
}
