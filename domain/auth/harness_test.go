package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/domaintest"
)

// Fixtures shared by the scenarios.
var (
	userID = uuid.MustParse("6f1c1d2e-0000-4000-8000-000000000001")
	now    = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	client = auth.ClientInfo{IP: "192.0.2.7", UserAgent: "Mozilla/5.0", Device: "desktop", Browser: "Firefox 121", OS: "Linux"}
	policy = auth.DefaultPolicy() // 5 within 15m -> 15m, never permanent
)

// ago is a time before now.
func ago(d time.Duration) time.Time { return now.Add(-d) }

func failed(at time.Time, reason auth.FailureReason) auth.LoginFailed {
	return auth.LoginFailed{UserID: userID, At: at, Reason: reason, Client: client}
}

func wrong(at time.Time) auth.LoginFailed { return failed(at, auth.ReasonWrongPassword) }

// wrongs returns n wrong-password failures, one a minute, the last at last.
func wrongs(n int, last time.Time) []domain.Event {
	var out []domain.Event
	for i := n - 1; i >= 0; i-- {
		out = append(out, wrong(last.Add(-time.Duration(i)*time.Minute)))
	}
	return out
}

func succeeded(at time.Time) auth.LoginSucceeded {
	return auth.LoginSucceeded{UserID: userID, At: at, Client: client}
}

func locked(at time.Time, d time.Duration, failures int) auth.Locked {
	return auth.Locked{UserID: userID, At: at, Until: at.Add(d), Failures: failures}
}

func lockedForGood(at time.Time, failures int) auth.Locked {
	return auth.Locked{UserID: userID, At: at, Permanent: true, Failures: failures}
}

func cleared(at time.Time) auth.LockoutCleared { return auth.LockoutCleared{UserID: userID, At: at} }

// concat joins event lists.
func concat(parts ...[]domain.Event) []domain.Event { return slices.Concat(parts...) }

// one wraps events as a list.
func one(events ...domain.Event) []domain.Event { return events }

// scenario is one "given events, when command, then events or error" case.
type scenario = domaintest.Scenario[*auth.Attempts]

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	domaintest.Run(t, loadAttempts, scenarios)
}

func load(t *testing.T, events ...domain.Event) *auth.Attempts {
	t.Helper()
	return domaintest.Load(t, loadAttempts, events...)
}

// loadAttempts folds the login attempts of the user userID.
func loadAttempts(events ...domain.Event) (*auth.Attempts, error) {
	return auth.LoadAttempts(userID, events...)
}
