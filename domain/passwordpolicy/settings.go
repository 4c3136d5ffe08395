package passwordpolicy

import (
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// SettingsStream is the stream of the password policy setting.
const SettingsStream = "settings-password-policy"

// TypePolicySet is the event type of PolicySet.
const TypePolicySet = "settings.password_policy_set.v1"

// PolicySet records a new password policy for the whole service. It
// applies to passwords set from then on; it does not reject passwords
// already in use (only MaxAgeDays, judged at login, reaches them).
type PolicySet struct {
	Policy Policy    `json:"policy"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (PolicySet) EventType() string { return TypePolicySet }

// Registrations lists the events of SettingsStream for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{domain.Register[PolicySet]()}
}

// Settings is the password policy setting, folded from SettingsStream. The
// zero Settings has never been set and answers DefaultPolicy. It is not
// safe for concurrent use.
type Settings struct {
	policy Policy
	set    bool
}

// Load folds the history of SettingsStream, oldest first.
func Load(history ...domain.Event) (*Settings, error) {
	s := &Settings{}
	if err := s.Fold(history...); err != nil {
		return nil, err
	}
	return s, nil
}

// Fold applies further stored events. It fails only on an event of another
// stream kind (a wiring mistake); it does not validate stored policies,
// because history is fact and must replay.
func (s *Settings) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := s.apply(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Settings) apply(e domain.Event) error {
	switch e := e.(type) {
	case PolicySet:
		s.policy = e.Policy
		s.set = true
	default:
		return fmt.Errorf("passwordpolicy: settings cannot apply event %T", e)
	}
	return nil
}

// Current is the policy in force: the last one set, or DefaultPolicy. Its
// RequireClasses is a copy.
func (s *Settings) Current() Policy {
	if !s.set {
		return DefaultPolicy()
	}
	p := s.policy
	p.RequireClasses = append([]Class(nil), p.RequireClasses...)
	return p
}

// Set makes p the policy. It fails with a *domain.ValidationError naming
// every bad field; a policy equal to Current (required classes in any
// order) changes nothing and returns no events. The event records the
// required classes in canonical order.
func (s *Settings) Set(p Policy, now time.Time) ([]domain.Event, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Equal(s.Current()) {
		return nil, nil
	}
	e := PolicySet{Policy: p.normalized(), At: now.Round(0).UTC()}
	if err := s.apply(e); err != nil {
		return nil, err
	}
	return []domain.Event{e}, nil
}
