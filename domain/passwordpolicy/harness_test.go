package passwordpolicy_test

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
)

// Fixtures shared by the scenarios.
var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// one wraps events as a list.
func one(events ...domain.Event) []domain.Event { return events }

// set is the event of setting p at now.
func set(p passwordpolicy.Policy) passwordpolicy.PolicySet {
	return passwordpolicy.PolicySet{Policy: p, At: now}
}

// scenario is one "given events, when command, then events or error" case.
type scenario = domaintest.Scenario[*passwordpolicy.Settings]

// fakeList is a CommonList of the given lowercase passwords.
type fakeList map[string]bool

func (l fakeList) Contains(pw string) bool { return l[lower(pw)] }
