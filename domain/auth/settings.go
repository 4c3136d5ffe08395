package auth

import (
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// PolicyStream is the stream of the lockout policy setting.
const PolicyStream = "settings-lockout"

// TypePolicySet is the event type of PolicySet.
const TypePolicySet = "settings.lockout_policy_set.v1"

// PolicySet records a new lockout policy for the whole service. It applies
// to attempts decided from then on; locks already in place keep their end.
type PolicySet struct {
	Policy Policy    `json:"policy"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (PolicySet) EventType() string { return TypePolicySet }

// PolicyRegistrations lists the events of PolicyStream for domain.NewCodec.
func PolicyRegistrations() []domain.Registration {
	return []domain.Registration{domain.Register[PolicySet]()}
}

// PolicySettings is the lockout policy setting, folded from PolicyStream.
// The zero PolicySettings has never been set and answers DefaultPolicy.
// It is not safe for concurrent use.
type PolicySettings struct {
	policy Policy
	set    bool
}

// LoadPolicySettings folds the history of PolicyStream, oldest first.
func LoadPolicySettings(history ...domain.Event) (*PolicySettings, error) {
	s := &PolicySettings{}
	if err := s.Fold(history...); err != nil {
		return nil, err
	}
	return s, nil
}

// Fold applies further stored events. It fails only on an event of another
// stream kind (a wiring mistake); it does not validate stored policies.
func (s *PolicySettings) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := s.apply(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *PolicySettings) apply(e domain.Event) error {
	switch e := e.(type) {
	case PolicySet:
		s.policy = e.Policy
		s.set = true
	default:
		return fmt.Errorf("auth: lockout policy settings cannot apply event %T", e)
	}
	return nil
}

// Current is the policy in force: the last one set, or DefaultPolicy.
func (s *PolicySettings) Current() Policy {
	if !s.set {
		return DefaultPolicy()
	}
	return s.policy
}

// Set makes p the policy. It fails with a *domain.ValidationError naming
// every bad field; a policy equal to Current changes nothing and returns no
// events.
func (s *PolicySettings) Set(p Policy, now time.Time) ([]domain.Event, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p == s.Current() {
		return nil, nil
	}
	e := PolicySet{Policy: p, At: eventTime(now)}
	if err := s.apply(e); err != nil {
		return nil, err
	}
	return []domain.Event{e}, nil
}
