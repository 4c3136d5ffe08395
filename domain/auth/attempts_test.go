package auth_test

import (
	"math/rand/v2"
	"reflect"
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
			Name: "first wrong password is recorded",
			When: wrongNow,
			Then: one(wrong(now)),
		},
		{
			Name:  "fifth failure within the window locks",
			Given: wrongs(4, ago(time.Minute)),
			When:  wrongNow,
			Then:  one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name:  "failures older than the window do not count",
			Given: wrongs(4, ago(15*time.Minute)), // 18..15 minutes ago
			When:  wrongNow,
			Then:  one(wrong(now)),
		},
		{
			Name:  "window slides: only the newest failures count",
			Given: concat(wrongs(3, ago(20*time.Minute)), wrongs(3, ago(time.Minute))),
			When:  wrongNow,
			Then:  one(wrong(now)), // 3 recent + this one = 4 < 5
		},
		{
			Name:  "window slides: a failure just inside the window counts",
			Given: concat(one(wrong(ago(15*time.Minute-time.Second))), wrongs(3, ago(time.Minute))),
			When:  wrongNow,
			Then:  one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name:  "a second factor failure counts",
			Given: wrongs(4, ago(time.Minute)),
			When:  fail(policy, auth.ReasonSecondFactor, now),
			Then:  one(failed(now, auth.ReasonSecondFactor), locked(now, 15*time.Minute, 5)),
		},
		{
			Name:  "suspended is recorded but does not count",
			Given: wrongs(4, ago(time.Minute)),
			When:  fail(policy, auth.ReasonSuspended, now),
			Then:  one(failed(now, auth.ReasonSuspended)),
		},
		{
			Name:  "deleted is recorded but does not count",
			Given: wrongs(4, ago(time.Minute)),
			When:  fail(policy, auth.ReasonDeleted, now),
			Then:  one(failed(now, auth.ReasonDeleted)),
		},
		{
			Name:  "no password is recorded but does not count",
			Given: wrongs(4, ago(time.Minute)),
			When:  fail(policy, auth.ReasonNoPassword, now),
			Then:  one(failed(now, auth.ReasonNoPassword)),
		},
		{
			Name: "failures that do not count are skipped when counting",
			Given: concat(wrongs(2, ago(5*time.Minute)),
				one(failed(ago(4*time.Minute), auth.ReasonSuspended), failed(ago(3*time.Minute), auth.ReasonNoPassword)),
				wrongs(2, ago(time.Minute))),
			When: wrongNow,
			Then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name:  "while locked an attempt is recorded as locked and does not count",
			Given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			When:  wrongNow,
			Then:  one(failed(now, auth.ReasonLocked)),
		},
		{
			Name:  "while locked any reason is recorded as locked",
			Given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			When:  fail(policy, auth.ReasonSuspended, now),
			Then:  one(failed(now, auth.ReasonLocked)),
		},
		{
			Name:  "a lock ends by time: the next failure is counted afresh",
			Given: concat(wrongs(5, ago(16*time.Minute)), one(locked(ago(16*time.Minute), 15*time.Minute, 5))),
			When:  wrongNow,
			Then:  one(wrong(now)),
		},
		{
			Name:  "a lock ends exactly at its end time",
			Given: concat(wrongs(5, ago(15*time.Minute)), one(locked(ago(15*time.Minute), 15*time.Minute, 5))),
			When:  wrongNow,
			Then:  one(wrong(now)),
		},
		{
			Name: "failures before a lock do not count after it",
			Given: concat(wrongs(4, ago(10*time.Minute)), one(locked(ago(20*time.Minute), time.Minute, 5)),
				wrongs(4, ago(time.Minute))),
			When: wrongNow,
			Then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name:  "policy: fewer failures and a longer lock",
			Given: wrongs(2, ago(30*time.Minute)),
			When:  fail(strict, auth.ReasonWrongPassword, now),
			Then:  one(wrong(now), locked(now, 2*time.Hour, 3)),
		},
		{
			Name: "policy: one failure locks",
			When: fail(auth.Policy{MaxFailures: 1, Window: time.Second, LockDuration: time.Second}, auth.ReasonWrongPassword, now),
			Then: one(wrong(now), locked(now, time.Second, 1)),
		},
		{
			Name:  "permanent: the Nth lock since the last success is permanent",
			Given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5)), wrongs(4, ago(time.Minute))),
			When:  fail(permanentAfter2, auth.ReasonWrongPassword, now),
			Then:  one(wrong(now), lockedForGood(now, 5)),
		},
		{
			Name:  "permanent: the first lock is temporary",
			Given: wrongs(4, ago(time.Minute)),
			When:  fail(permanentAfter2, auth.ReasonWrongPassword, now),
			Then:  one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name: "permanent: a success restarts the count of locks",
			Given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5)),
				one(succeeded(ago(30*time.Minute))), wrongs(4, ago(time.Minute))),
			When: fail(permanentAfter2, auth.ReasonWrongPassword, now),
			Then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name: "permanent: an admin clear restarts the count of locks",
			Given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5)),
				one(cleared(ago(30*time.Minute))), wrongs(4, ago(time.Minute))),
			When: fail(permanentAfter2, auth.ReasonWrongPassword, now),
			Then: one(wrong(now), locked(now, 15*time.Minute, 5)),
		},
		{
			Name:  "permanent: a permanent lock never ends by time",
			Given: concat(wrongs(5, ago(time.Minute)), one(lockedForGood(ago(time.Minute), 5))),
			When:  fail(permanentAfter2, auth.ReasonWrongPassword, now.Add(10*365*24*time.Hour)),
			Then:  one(failed(now.Add(10*365*24*time.Hour), auth.ReasonLocked)),
		},
		{
			Name:  "a success forgets earlier failures",
			Given: concat(wrongs(4, ago(3*time.Minute)), one(succeeded(ago(2*time.Minute)))),
			When:  wrongNow,
			Then:  one(wrong(now)),
		},
		{
			Name:  "a clear forgets earlier failures",
			Given: concat(wrongs(4, ago(3*time.Minute)), one(cleared(ago(2*time.Minute)))),
			When:  wrongNow,
			Then:  one(wrong(now)),
		},
	})
}

func TestSucceed(t *testing.T) {
	succeed := func(at time.Time) func(*auth.Attempts) ([]domain.Event, error) {
		return func(a *auth.Attempts) ([]domain.Event, error) { return a.Succeed(client, at) }
	}
	run(t, []scenario{
		{Name: "first login", When: succeed(now), Then: one(succeeded(now))},
		{Name: "after failures", Given: wrongs(4, ago(time.Minute)), When: succeed(now), Then: one(succeeded(now))},
		{
			Name:    "locked",
			Given:   concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			When:    succeed(now),
			WantErr: auth.ErrLocked,
		},
		{
			Name:  "after the lock ended",
			Given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5))),
			When:  succeed(now),
			Then:  one(succeeded(now)),
		},
		{
			Name:    "locked for good",
			Given:   concat(wrongs(5, ago(time.Hour)), one(lockedForGood(ago(time.Hour), 5))),
			When:    succeed(now.Add(1000 * time.Hour)),
			WantErr: domain.ErrForbidden,
		},
		{
			Name:  "after a clear of a permanent lock",
			Given: concat(wrongs(5, ago(time.Hour)), one(lockedForGood(ago(time.Hour), 5), cleared(ago(time.Minute)))),
			When:  succeed(now),
			Then:  one(succeeded(now)),
		},
	})
}

func TestClear(t *testing.T) {
	clear := func(a *auth.Attempts) ([]domain.Event, error) { return a.Clear(now), nil }
	run(t, []scenario{
		{Name: "nothing to clear", When: clear},
		{Name: "nothing after a success", Given: concat(wrongs(3, ago(time.Hour)), one(succeeded(ago(time.Minute)))), When: clear},
		{Name: "nothing after a clear", Given: concat(wrongs(3, ago(time.Hour)), one(cleared(ago(time.Minute)))), When: clear},
		{Name: "failures that do not count are nothing to clear", Given: one(failed(ago(time.Minute), auth.ReasonSuspended)), When: clear},
		{Name: "pending failures", Given: wrongs(2, ago(time.Minute)), When: clear, Then: one(cleared(now))},
		{
			Name:  "temporary lock",
			Given: concat(wrongs(5, ago(time.Minute)), one(locked(ago(time.Minute), 15*time.Minute, 5))),
			When:  clear,
			Then:  one(cleared(now)),
		},
		{
			Name:  "permanent lock",
			Given: concat(wrongs(5, ago(time.Hour)), one(lockedForGood(ago(time.Hour), 5))),
			When:  clear,
			Then:  one(cleared(now)),
		},
		{
			Name:  "an ended lock still counts toward a permanent one",
			Given: concat(wrongs(5, ago(time.Hour)), one(locked(ago(time.Hour), 15*time.Minute, 5))),
			When:  clear,
			Then:  one(cleared(now)),
		},
	})
}

func TestExpire(t *testing.T) {
	expire := func(a *auth.Attempts) ([]domain.Event, error) { return a.Expire(now), nil }
	lock := locked(ago(time.Hour), 15*time.Minute, 5)
	expired := auth.LockExpired{UserID: userID, Until: lock.Until, At: now}
	run(t, []scenario{
		{Name: "no lock", When: expire},
		{Name: "lock still holds", Given: one(locked(ago(time.Minute), 15*time.Minute, 5)), When: expire},
		{Name: "permanent lock never expires", Given: one(lockedForGood(ago(time.Hour), 5)), When: expire},
		{Name: "lapsed lock", Given: concat(wrongs(5, ago(time.Hour)), one(lock)), When: expire, Then: one(expired)},
		{Name: "recorded once", Given: concat(one(lock), one(auth.LockExpired{UserID: userID, Until: lock.Until, At: ago(time.Minute)})), When: expire},
		{Name: "cleared before", Given: concat(one(lock), one(cleared(ago(time.Minute)))), When: expire},
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

// TestStartsAfresh: folding from the last event that starts afresh gives
// the same state as folding the whole history, for random histories.
func TestStartsAfresh(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for round := range 500 {
		var history []domain.Event
		at := ago(48 * time.Hour)
		for range r.IntN(40) {
			at = at.Add(time.Duration(r.IntN(600)) * time.Second)
			switch r.IntN(6) {
			case 0:
				history = append(history, succeeded(at))
			case 1:
				history = append(history, cleared(at))
			case 2:
				history = append(history, locked(at, 15*time.Minute, 5))
			case 3:
				history = append(history, auth.LockExpired{UserID: userID, Until: at, At: at})
			default:
				history = append(history, failed(at, auth.ReasonWrongPassword))
			}
		}
		from := 0
		for i, e := range history {
			if auth.StartsAfresh(e) {
				from = i
			}
		}
		all, err := auth.LoadAttempts(userID, history...)
		if err != nil {
			t.Fatal(err)
		}
		tail, err := auth.LoadAttempts(userID, history[from:]...)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(all, tail) {
			t.Fatalf("round %d: whole history %+v, from the last fresh start %+v", round, all, tail)
		}
	}
}
