package auth_test

import (
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
)

func fail(p auth.Policy, reason auth.FailureReason, at time.Time) func(*auth.Attempts) ([]domain.Event, error) {
	return func(a *auth.Attempts) ([]domain.Event, error) { return a.Fail(p, reason, client, at), nil }
}

func TestFail(t *testing.T) {
	wrongNow := fail(policy, auth.ReasonWrongPassword, now)
	strict := auth.Policy{MaxFailures: 3, Window: time.Hour, LockDuration: 2 * time.Hour}
	permanentAfter2 := auth.Policy{MaxFailures: 5, Window: 15 * time.Minute, LockDuration: 15 * time.Minute, PermanentAfter: 2}
	run(t, []scenario{
		{
			name: "first wrong password is recorded",
			when: wrongNow,
			then: one(wrong(now)),
		},
		{
			name:  "fifth failure within the window locks",
			given: wrongs(4, ago(time.Minute)),
			when:  wrongNow,
			then:  one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name:  "failures older than the window do not count",
			given: wrongs(4, ago(15*time.Minute)), // 18..15 minutes ago
			when:  wrongNow,
			then:  one(wrong(now)),
		},
		{
			name:  "window slides: only the newest failures count",
			given: concat(wrongs(3, ago(20*time.Minute)), wrongs(3, ago(time.Minute))),
			when:  wrongNow,
			then:  one(wrong(now)), // 3 recent + this one = 4 < 5
		},
		{
			name:  "window slides: a failure just inside the window counts",
			given: concat(one(wrong(ago(15*time.Minute-time.Second))), wrongs(3, ago(time.Minute))),
			when:  wrongNow,
			then:  one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name:  "a second factor failure counts",
			given: wrongs(4, ago(time.Minute)),
			when:  fail(policy, auth.ReasonSecondFactor, now),
			then:  one(failed(now, auth.ReasonSecondFactor), locked(now, 15*time.Minute, 5)),
		},
		{
			name:  "suspended is recorded but does not count",
			given: wrongs(4, ago(time.Minute)),
			when:  fail(policy, auth.ReasonSuspended, now),
			then:  one(failed(now, auth.ReasonSuspended)),
		},
		{
			name:  "deleted is recorded but does not count",
			given: wrongs(4, ago(time.Minute)),
			when:  fail(policy, auth.ReasonDeleted, now),
			then:  one(failed(now, auth.ReasonDeleted)),
		},
		{
			name:  "no password is recorded but does not count",
			given: wrongs(4, ago(time.Minute)),
			when:  fail(policy, auth.ReasonNoPassword, now),
			then:  one(failed(now, auth.ReasonNoPassword)),
		},
		{
			name: "failures that do not count are skipped when counting",
			given: concat(wrongs(2, ago(5*time.Minute)),
				one(failed(ago(4*time.Minute), auth.ReasonSuspended), failed(ago(3*time.Minute), auth.ReasonNoPassword)),
				wrongs(2, ago(time.Minute))),
			when: wrongNow,
			then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name:  "while locked an attempt is recorded as locked and does not count",
			given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			when:  wrongNow,
			then:  one(failed(now, auth.ReasonLocked)),
		},
		{
			name:  "while locked any reason is recorded as locked",
			given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			when:  fail(policy, auth.ReasonSuspended, now),
			then:  one(failed(now, auth.ReasonLocked)),
		},
		{
			name:  "a lock ends by time: the next failure is counted afresh",
			given: concat(wrongs(5, ago(16*time.Minute)), one(locked(ago(16*time.Minute), 15*time.Minute, 5))),
			when:  wrongNow,
			then:  one(wrong(now)),
		},
		{
			name:  "a lock ends exactly at its end time",
			given: concat(wrongs(5, ago(15*time.Minute)), one(locked(ago(15*time.Minute), 15*time.Minute, 5))),
			when:  wrongNow,
			then:  one(wrong(now)),
		},
		{
			name: "failures before a lock do not count after it",
			given: concat(wrongs(4, ago(10*time.Minute)), one(locked(ago(20*time.Minute), time.Minute, 5)),
				wrongs(4, ago(time.Minute))),
			when: wrongNow,
			then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name:  "policy: fewer failures and a longer lock",
			given: wrongs(2, ago(30*time.Minute)),
			when:  fail(strict, auth.ReasonWrongPassword, now),
			then:  one(wrong(now), locked(now, 2*time.Hour, 3)),
		},
		{
			name: "policy: one failure locks",
			when: fail(auth.Policy{MaxFailures: 1, Window: time.Second, LockDuration: time.Second}, auth.ReasonWrongPassword, now),
			then: one(wrong(now), locked(now, time.Second, 1)),
		},
		{
			name:  "permanent: the Nth lock since the last success is permanent",
			given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5)), wrongs(4, ago(time.Minute))),
			when:  fail(permanentAfter2, auth.ReasonWrongPassword, now),
			then:  one(wrong(now), lockedForGood(now, 5)),
		},
		{
			name:  "permanent: the first lock is temporary",
			given: wrongs(4, ago(time.Minute)),
			when:  fail(permanentAfter2, auth.ReasonWrongPassword, now),
			then:  one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name: "permanent: a success restarts the count of locks",
			given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5)),
				one(succeeded(ago(30*time.Minute))), wrongs(4, ago(time.Minute))),
			when: fail(permanentAfter2, auth.ReasonWrongPassword, now),
			then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name: "permanent: an admin clear restarts the count of locks",
			given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5)),
				one(cleared(ago(30*time.Minute))), wrongs(4, ago(time.Minute))),
			when: fail(permanentAfter2, auth.ReasonWrongPassword, now),
			then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			name:  "permanent: a permanent lock never ends by time",
			given: concat(wrongs(5, ago(time.Minute)), one(lockedForGood(ago(time.Minute), 5))),
			when:  fail(permanentAfter2, auth.ReasonWrongPassword, now.Add(10*365*24*time.Hour)),
			then:  one(failed(now.Add(10*365*24*time.Hour), auth.ReasonLocked)),
		},
		{
			name:  "a success forgets earlier failures",
			given: concat(wrongs(4, ago(3*time.Minute)), one(succeeded(ago(2*time.Minute)))),
			when:  wrongNow,
			then:  one(wrong(now)),
		},
		{
			name:  "a clear forgets earlier failures",
			given: concat(wrongs(4, ago(3*time.Minute)), one(cleared(ago(2*time.Minute)))),
			when:  wrongNow,
			then:  one(wrong(now)),
		},
	})
}

func TestSucceed(t *testing.T) {
	succeed := func(at time.Time) func(*auth.Attempts) ([]domain.Event, error) {
		return func(a *auth.Attempts) ([]domain.Event, error) { return a.Succeed(client, at) }
	}
	run(t, []scenario{
		{name: "first login", when: succeed(now), then: one(succeeded(now))},
		{name: "after failures", given: wrongs(4, ago(time.Minute)), when: succeed(now), then: one(succeeded(now))},
		{
			name:    "locked",
			given:   concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			when:    succeed(now),
			wantErr: auth.ErrLocked,
		},
		{
			name:  "after the lock ended",
			given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5))),
			when:  succeed(now),
			then:  one(succeeded(now)),
		},
		{
			name:    "locked for good",
			given:   concat(wrongs(5, ago(time.Hour)), one(lockedForGood(ago(time.Hour), 5))),
			when:    succeed(now.Add(1000 * time.Hour)),
			wantErr: domain.ErrForbidden,
		},
		{
			name:  "after a clear of a permanent lock",
			given: concat(wrongs(5, ago(time.Hour)), one(lockedForGood(ago(time.Hour), 5), cleared(ago(time.Minute)))),
			when:  succeed(now),
			then:  one(succeeded(now)),
		},
	})
}

func TestClear(t *testing.T) {
	clear := func(a *auth.Attempts) ([]domain.Event, error) { return a.Clear(now), nil }
	run(t, []scenario{
		{name: "nothing to clear", when: clear},
		{name: "nothing after a success", given: concat(wrongs(3, ago(time.Hour)), one(succeeded(ago(time.Minute)))), when: clear},
		{name: "nothing after a clear", given: concat(wrongs(3, ago(time.Hour)), one(cleared(ago(time.Minute)))), when: clear},
		{name: "failures that do not count are nothing to clear", given: one(failed(ago(time.Minute), auth.ReasonSuspended)), when: clear},
		{name: "pending failures", given: wrongs(2, ago(time.Minute)), when: clear, then: one(cleared(now))},
		{
			name:  "temporary lock",
			given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			when:  clear,
			then:  one(cleared(now)),
		},
		{
			name:  "permanent lock",
			given: concat(wrongs(5, ago(time.Hour)), one(lockedForGood(ago(time.Hour), 5))),
			when:  clear,
			then:  one(cleared(now)),
		},
		{
			name:  "an ended lock still counts toward a permanent one",
			given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5))),
			when:  clear,
			then:  one(cleared(now)),
		},
	})
}

func TestExpire(t *testing.T) {
	expire := func(a *auth.Attempts) ([]domain.Event, error) { return a.Expire(now), nil }
	lock := locked(ago(time.Hour), 15*time.Minute, 5)
	expired := auth.LockExpired{UserID: userID, Until: lock.Until, At: now}
	run(t, []scenario{
		{name: "no lock", when: expire},
		{name: "lock still holds", given: one(locked(ago(time.Minute), 15*time.Minute, 5)), when: expire},
		{name: "permanent lock never expires", given: one(lockedForGood(ago(time.Hour), 5)), when: expire},
		{name: "lapsed lock", given: concat(wrongs(5, ago(time.Hour)), one(lock)), when: expire, then: one(expired)},
		{name: "recorded once", given: concat(one(lock), one(auth.LockExpired{UserID: userID, Until: lock.Until, At: ago(time.Minute)})), when: expire},
		{name: "cleared before", given: concat(one(lock), one(cleared(ago(time.Minute)))), when: expire},
	})
	// A recorded expiry keeps the count toward a permanent lock.
	a, err := auth.LoadAttempts(userID, lock, expired)
	if err != nil {
		t.Fatal(err)
	}
	if a.LockCount() != 1 {
		t.Fatalf("lock count after expiry: %d", a.LockCount())
	}
	if l, _, _ := a.Locked(now); l {
		t.Fatal("locked after expiry")
	}
}

func TestLockState(t *testing.T) {
	tests := []struct {
		name          string
		given         []domain.Event
		at            time.Time
		wantLocked    bool
		wantUntil     time.Time
		wantPermanent bool
		wantLocks     int
		wantRecent    int
	}{
		{name: "never tried", at: now},
		{name: "recent failures", given: wrongs(3, ago(time.Minute)), at: now, wantRecent: 3},
		{name: "failures leave the window", given: wrongs(3, ago(time.Minute)), at: now.Add(13*time.Minute + 30*time.Second), wantRecent: 1},
		{
			name:  "locked",
			given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			at:    now, wantLocked: true, wantUntil: now.Add(14 * time.Minute), wantLocks: 1,
		},
		{
			name:  "lock ended",
			given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			at:    now.Add(14 * time.Minute), wantLocks: 1,
		},
		{
			name:  "permanent",
			given: concat(wrongs(5, ago(time.Minute)), one(lockedForGood(ago(time.Minute), 5))),
			at:    now.Add(1000 * time.Hour), wantLocked: true, wantPermanent: true, wantLocks: 1,
		},
		{
			name:  "second lock",
			given: concat(one(locked(ago(time.Hour), time.Minute, 5)), one(locked(ago(time.Minute), time.Hour, 5))),
			at:    now, wantLocked: true, wantUntil: ago(time.Minute).Add(time.Hour), wantLocks: 2,
		},
		{
			name:  "success resets",
			given: concat(one(locked(ago(time.Hour), time.Minute, 5)), wrongs(2, ago(10*time.Minute)), one(succeeded(ago(time.Minute)))),
			at:    now,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := load(t, tc.given...)
			l, until, perm := a.Locked(tc.at)
			if l != tc.wantLocked || !until.Equal(tc.wantUntil) || perm != tc.wantPermanent {
				t.Errorf("Locked = %v %v %v, want %v %v %v", l, until, perm, tc.wantLocked, tc.wantUntil, tc.wantPermanent)
			}
			if got := a.LockCount(); got != tc.wantLocks {
				t.Errorf("LockCount = %d, want %d", got, tc.wantLocks)
			}
			if got := a.RecentFailures(policy.Window, tc.at); got != tc.wantRecent {
				t.Errorf("RecentFailures = %d, want %d", got, tc.wantRecent)
			}
		})
	}
}

// Only the newest MaxMaxFailures failures are kept, which is enough for
// any valid policy.
func TestLongHistory(t *testing.T) {
	a := load(t, wrongs(1000, ago(time.Minute))...)
	if got := a.RecentFailures(24*time.Hour, now); got != auth.MaxMaxFailures {
		t.Fatalf("RecentFailures = %d, want %d", got, auth.MaxMaxFailures)
	}
	p := auth.Policy{MaxFailures: auth.MaxMaxFailures, Window: 24 * time.Hour, LockDuration: time.Hour}
	evs := a.Fail(p, auth.ReasonWrongPassword, client, now)
	if len(evs) != 2 {
		t.Fatalf("events %#v, want a failure and a lock", evs)
	}
	if l, ok := evs[1].(auth.Locked); !ok || !l.Until.Equal(now.Add(time.Hour)) || l.Failures < auth.MaxMaxFailures {
		t.Fatalf("lock %#v", evs[1])
	}
}

func TestFoldRejectsForeignEvents(t *testing.T) {
	other := auth.LoginSucceeded{UserID: [16]byte{1}, At: now}
	if _, err := auth.LoadAttempts(userID, other); err == nil {
		t.Fatal("folded another user's event")
	}
	if _, err := auth.LoadAttempts(userID, auth.PolicySet{Policy: policy, At: now}); err == nil {
		t.Fatal("folded a policy event into login attempts")
	}
}
