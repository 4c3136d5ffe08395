package user

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// Suspend blocks an active user from logging in, with an optional reason.
// Suspending a suspended user is a *domain.ConflictError
// ("already_suspended") rather than a silent no-op: the command names a
// transition, and an admin who sees "suspended" when they expected "active"
// is acting on a stale screen and should be told (the existing reason is
// kept, not overwritten).
func (u *User) Suspend(reason string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	reason, err := cleanText("reason", reason, MaxReasonLength, false)
	if err != nil {
		return nil, err
	}
	if u.status == StatusSuspended {
		return nil, &domain.ConflictError{Field: "status", Code: "already_suspended", Message: "user is already suspended"}
	}
	return u.record(u.suspend(reason, now)...)
}

func (u *User) suspend(reason string, now time.Time) []domain.Event {
	return []domain.Event{Suspended{UserID: u.id, PII: SuspensionPII{Reason: reason}, At: eventTime(now)}}
}

// Reactivate restores a suspended user's access. Reactivating an active user
// is a *domain.ConflictError ("not_suspended"), for the same reason as
// Suspend: it is a transition, and a no-op would hide a stale view.
func (u *User) Reactivate(now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	if u.status != StatusSuspended {
		return nil, &domain.ConflictError{Field: "status", Code: "not_suspended", Message: "user is not suspended"}
	}
	return u.record(u.reactivate(now)...)
}

func (u *User) reactivate(now time.Time) []domain.Event {
	return []domain.Event{Reactivated{UserID: u.id, Status: u.resumeStatus, At: eventTime(now)}}
}
