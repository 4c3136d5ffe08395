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
			name:  "suspend active with reason",
			given: history(),
			when:  suspend("  repeated spam  "),
			then:  []domain.Event{user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: "repeated spam"}, At: now}},
		},
		{
			name:  "suspend active without reason",
			given: history(),
			when:  suspend(""),
			then:  []domain.Event{user.Suspended{UserID: userID, At: now}},
		},
		{
			name:       "suspend suspended is a conflict",
			given:      history(suspended("spam")),
			when:       suspend("again"),
			wantErr:    domain.ErrConflict,
			wantFields: []string{"status:already_suspended"},
		},
		{
			name:       "reason too long",
			given:      history(),
			when:       suspend(strings.Repeat("x", user.MaxReasonLength+1)),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"reason:too_long"},
		},
		{
			name:  "suspend after reactivation",
			given: history(suspended("spam"), user.Reactivated{UserID: userID, At: t0}),
			when:  suspend(""),
			then:  []domain.Event{user.Suspended{UserID: userID, At: now}},
		},
		{
			name:  "reactivate suspended",
			given: history(suspended("spam")),
			when:  reactivate,
			then:  []domain.Event{user.Reactivated{UserID: userID, At: now}},
		},
		{
			name:       "reactivate active is a conflict",
			given:      history(),
			when:       reactivate,
			wantErr:    domain.ErrConflict,
			wantFields: []string{"status:not_suspended"},
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
