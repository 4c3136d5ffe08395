package auth

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// ErrLocked is returned by Succeed while the user is locked out. It matches
// domain.ErrForbidden. Callers outside the login flow never see it: a
// refused login answers only "invalid email or password".
var ErrLocked = fmt.Errorf("login is locked: %w", domain.ErrForbidden)

// Attempts is the login state of one user, folded from its auth stream:
// the failures that count toward the next lock, the current lock, and how
// many locks there were since the last successful login or admin clear.
//
// Failures count from the latest of the last success, the last clear and
// the last lock, so a lock that ends by time starts a fresh count. Only the
// newest MaxMaxFailures of them are kept: no valid policy looks further.
//
// The zero Attempts (LoadAttempts with an empty history) is a user who
// never tried to log in. Commands return new events and apply them to the
// receiver. An Attempts is not safe for concurrent use; load one per
// attempt.
type Attempts struct {
	userID    uuid.UUID
	failures  []time.Time // counted failures since the last reset, oldest first
	locked    bool        // a lock was recorded and not lifted since
	until     time.Time   // end of a temporary lock
	permanent bool
	lockCount int // locks since the last success or clear
}

// LoadAttempts folds the auth stream of the user, oldest first.
func LoadAttempts(userID uuid.UUID, history ...domain.Event) (*Attempts, error) {
	a := &Attempts{userID: userID}
	if err := a.Fold(history...); err != nil {
		return nil, err
	}
	return a, nil
}

// Fold applies further stored events. It fails only on an event that is
// not an auth event of this user (a wiring mistake).
func (a *Attempts) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := a.apply(e); err != nil {
			return err
		}
	}
	return nil
}

// apply is the one place where events change state, for replay and for new
// events alike.
func (a *Attempts) apply(e domain.Event) error {
	var id uuid.UUID
	switch e := e.(type) {
	case LoginSucceeded:
		id = e.UserID
		a.reset()
	case LoginFailed:
		id = e.UserID
		if e.Reason.CountsTowardLockout() {
			a.failures = append(a.failures, e.At)
			if n := len(a.failures); n > MaxMaxFailures {
				a.failures = append(a.failures[:0], a.failures[n-MaxMaxFailures:]...)
			}
		}
	case Locked:
		id = e.UserID
		a.failures = nil
		a.locked, a.until, a.permanent = true, e.Until, e.Permanent
		a.lockCount++
	case LockoutCleared:
		id = e.UserID
		a.reset()
	case LockExpired:
		id = e.UserID
		a.locked, a.until, a.permanent = false, time.Time{}, false
	default:
		return fmt.Errorf("auth: cannot apply event %T to login attempts", e)
	}
	if id != a.userID {
		return fmt.Errorf("auth: event %s of user %s in the attempts of user %s", e.EventType(), id, a.userID)
	}
	return nil
}

// Expire records that a temporary lock has run out by now; it returns no
// event while the lock holds, for a permanent lock, or when none is left
// to expire.
func (a *Attempts) Expire(now time.Time) []domain.Event {
	if !a.locked || a.permanent || now.Before(a.until) {
		return nil
	}
	return a.record(LockExpired{UserID: a.userID, Until: a.until, At: now.UTC()})
}

// StartsAfresh reports whether e wipes the state of login attempts (a
// successful login or an admin clear): folding a history from its last
// such event on gives the same Attempts as folding all of it, so a long
// auth stream need not be read whole.
func StartsAfresh(e domain.Event) bool {
	switch e.(type) {
	case LoginSucceeded, LockoutCleared:
		return true
	}
	return false
}

// reset forgets failures, the lock and the lock count.
func (a *Attempts) reset() {
	a.failures = nil
	a.locked, a.until, a.permanent = false, time.Time{}, false
	a.lockCount = 0
}

// record applies new events and returns them. The events are this
// aggregate's own, so apply cannot fail on them.
func (a *Attempts) record(events ...domain.Event) []domain.Event {
	if err := a.Fold(events...); err != nil {
		panic(err)
	}
	return events
}

// UserID is the user whose attempts these are.
func (a *Attempts) UserID() uuid.UUID { return a.userID }

// Locked reports whether the user is locked out at now, until when, and
// whether for good (then until is zero). A temporary lock ends by itself
// at until.
func (a *Attempts) Locked(now time.Time) (locked bool, until time.Time, permanent bool) {
	switch {
	case !a.locked:
		return false, time.Time{}, false
	case a.permanent:
		return true, time.Time{}, true
	case now.Before(a.until):
		return true, a.until, false
	}
	return false, time.Time{}, false
}

// LockCount is the number of locks since the last successful login or
// admin clear, the ongoing one included.
func (a *Attempts) LockCount() int { return a.lockCount }

// RecentFailures is the number of counted failures less than window
// before now (since the last success, clear or lock).
func (a *Attempts) RecentFailures(window time.Duration, now time.Time) int {
	n := 0
	for _, at := range a.failures {
		if now.Sub(at) < window {
			n++
		}
	}
	return n
}

// Fail records a refused attempt under p, which must be valid.
//
// While the user is locked out the attempt is recorded with ReasonLocked
// whatever reason was given, and does not count. Otherwise it is recorded
// with reason; if the reason counts toward a lockout and the failures less
// than p.Window old (this one included) reach p.MaxFailures, a Locked event
// follows: for p.LockDuration, or permanent when it is lock number
// p.PermanentAfter (or later) since the last success or clear.
func (a *Attempts) Fail(p Policy, reason FailureReason, c ClientInfo, now time.Time) []domain.Event {
	at := eventTime(now)
	if locked, _, _ := a.Locked(now); locked {
		return a.record(LoginFailed{UserID: a.userID, At: at, Reason: ReasonLocked, Client: c})
	}
	events := []domain.Event{LoginFailed{UserID: a.userID, At: at, Reason: reason, Client: c}}
	if reason.CountsTowardLockout() {
		if n := a.RecentFailures(p.Window, now) + 1; n >= p.MaxFailures {
			lock := Locked{UserID: a.userID, At: at, Failures: n}
			if p.PermanentAfter > 0 && a.lockCount+1 >= p.PermanentAfter {
				lock.Permanent = true
			} else {
				lock.Until = at.Add(p.LockDuration)
			}
			events = append(events, lock)
		}
	}
	return a.record(events...)
}

// Succeed records a successful login, the password (and any second factor)
// having been checked by the caller. While the user is locked out it fails
// with ErrLocked and records nothing; the caller records the refusal with
// Fail.
func (a *Attempts) Succeed(c ClientInfo, now time.Time) ([]domain.Event, error) {
	if locked, _, _ := a.Locked(now); locked {
		return nil, ErrLocked
	}
	return a.record(LoginSucceeded{UserID: a.userID, At: eventTime(now), Client: c}), nil
}

// Clear lifts the lockout: it records LockoutCleared when the user is
// locked out, or has counted failures or past locks that a clear would
// forget (they bring the next lock, or a permanent one, closer). Otherwise
// there is nothing to clear and it returns no events.
func (a *Attempts) Clear(now time.Time) []domain.Event {
	locked, _, _ := a.Locked(now)
	if !locked && len(a.failures) == 0 && a.lockCount == 0 {
		return nil
	}
	return a.record(LockoutCleared{UserID: a.userID, At: eventTime(now)})
}
