package auth_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
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
type scenario struct {
	name  string
	given []domain.Event
	when  func(a *auth.Attempts) ([]domain.Event, error)
	then  []domain.Event // expected events; empty means "no events"
	// wantErr, when set, is the error the command must return (errors.Is).
	wantErr error
}

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			a := load(t, sc.given...)
			got, err := sc.when(a)
			if sc.wantErr != nil {
				if !errors.Is(err, sc.wantErr) {
					t.Fatalf("error = %v, want %v", err, sc.wantErr)
				}
				if len(got) != 0 {
					t.Errorf("events = %#v with error, want none", got)
				}
				if before := load(t, sc.given...); !reflect.DeepEqual(a, before) {
					t.Errorf("state changed by a failed command:\n got %#v\nwant %#v", a, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(sc.then) == 0 {
				if len(got) != 0 {
					t.Fatalf("events = %#v, want none", got)
				}
			} else if !reflect.DeepEqual(got, sc.then) {
				t.Fatalf("events:\n got %#v\nwant %#v", got, sc.then)
			}
			// New events went through the same apply as replay.
			replayed := load(t, append(slices.Clone(sc.given), got...)...)
			if !reflect.DeepEqual(a, replayed) {
				t.Errorf("state after command differs from replay:\n got %#v\nwant %#v", a, replayed)
			}
		})
	}
}

func load(t *testing.T, events ...domain.Event) *auth.Attempts {
	t.Helper()
	a, err := auth.LoadAttempts(userID, events...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return a
}
