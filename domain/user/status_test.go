package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestSuspendAndReactivate(t *testing.T) {
	suspend := func(reason string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.Suspend(reason, now) }
	}
	reactivate := func(u *user.User) ([]domain.Event, error) { return u.Reactivate(now) }
	run(t, []scenario{
		{
			Name:  "suspend active with reason",
			Given: history(),
			When:  suspend("  repeated spam  "),
			Then:  []domain.Event{user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: "repeated spam"}, At: now}},
		},
		{
			Name:  "suspend active without reason",
			Given: history(),
			When:  suspend(""),
			Then:  []domain.Event{user.Suspended{UserID: userID, At: now}},
		},
		{
			Name:       "suspend suspended is a conflict",
			Given:      history(suspended("spam")),
			When:       suspend("again"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"status:already_suspended"},
		},
		{
			Name:       "reason too long",
			Given:      history(),
			When:       suspend(strings.Repeat("x", user.MaxReasonLength+1)),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"reason:too_long"},
		},
		{
			Name:  "suspend after reactivation",
			Given: history(suspended("spam"), user.Reactivated{UserID: userID, At: t0}),
			When:  suspend(""),
			Then:  []domain.Event{user.Suspended{UserID: userID, At: now}},
		},
		{
			Name:  "reactivate suspended",
			Given: history(suspended("spam")),
			When:  reactivate,
			Then:  []domain.Event{user.Reactivated{UserID: userID, At: now}},
		},
		{
			Name:       "reactivate active is a conflict",
			Given:      history(),
			When:       reactivate,
			WantErr:    domain.ErrConflict,
			WantFields: []string{"status:not_suspended"},
		},
	})
}

// A command applies its events to the receiver, so the next command on the
// same User decides on the new state.
func TestCommandsSeeTheirOwnEvents(t *testing.T) {
	u := load(t, history()...)
	if _, err := u.Suspend("spam", now); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Suspend("spam", now); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second suspend: error = %v, want conflict", err)
	}
	if u.Status() != user.StatusSuspended || u.SuspensionReason() != "spam" {
		t.Fatalf("status %q reason %q", u.Status(), u.SuspensionReason())
	}
}

func TestStatusAccessors(t *testing.T) {
	u := load(t, history(suspended("spam"))...)
	if u.Status() != user.StatusSuspended || u.SuspensionReason() != "spam" {
		t.Fatalf("status %q reason %q", u.Status(), u.SuspensionReason())
	}
	if err := u.Fold(user.Reactivated{UserID: userID, At: now}); err != nil {
		t.Fatal(err)
	}
	if u.Status() != user.StatusActive || u.SuspensionReason() != "" {
		t.Fatalf("after reactivation: status %q reason %q", u.Status(), u.SuspensionReason())
	}
}
