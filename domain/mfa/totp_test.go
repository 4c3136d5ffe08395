package mfa_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/mfa"
)

func TestStartEnrollment(t *testing.T) {
	start := func(secret string) func(*mfa.TOTP) ([]domain.Event, error) {
		return func(a *mfa.TOTP) ([]domain.Event, error) { return a.StartEnrollment(secret, now) }
	}
	run(t, []scenario{
		{Name: "first enrolment starts", When: start("sealed-1"), Then: one(started("sealed-1"))},
		{
			Name:  "restarting replaces a pending enrolment",
			Given: one(started("sealed-1")),
			When:  start("sealed-2"),
			Then:  one(started("sealed-2")),
		},
		{
			Name:    "refused while enrolled",
			Given:   enrolledAt(step),
			When:    start("sealed-2"),
			WantErr: mfa.ErrAlreadyEnrolled, WantFields: []string{":totp_already_enrolled"},
		},
		{
			Name:  "allowed again after a reset",
			Given: append(enrolledAt(step), reset()),
			When:  start("sealed-2"),
			Then:  one(started("sealed-2")),
		},
		{
			Name:    "a sealed secret is required",
			When:    start(""),
			WantErr: domain.ErrInvalid, WantFields: []string{"secret:required"},
		},
	})
}

func TestConfirm(t *testing.T) {
	confirm := func(s int64, h []string) func(*mfa.TOTP) ([]domain.Event, error) {
		return func(a *mfa.TOTP) ([]domain.Event, error) { return a.Confirm(s, h, now) }
	}
	run(t, []scenario{
		{
			Name:  "confirming records the enrolment and uses the code's step",
			Given: one(started("sealed-1")),
			When:  confirm(step, hashes),
			Then:  one(enrolled(), codeUsed(step)),
		},
		{
			Name:    "needs a pending enrolment",
			When:    confirm(step, hashes),
			WantErr: mfa.ErrNoPendingEnrollment, WantFields: []string{":totp_not_pending"},
		},
		{
			Name:    "refused once enrolled",
			Given:   enrolledAt(step),
			When:    confirm(step+1, hashes),
			WantErr: mfa.ErrNoPendingEnrollment,
		},
		{
			Name:    "refused after a reset of the pending enrolment",
			Given:   one(started("sealed-1"), reset()),
			When:    confirm(step, hashes),
			WantErr: mfa.ErrNoPendingEnrollment,
		},
		{
			Name:    "recovery hashes are required",
			Given:   one(started("sealed-1")),
			When:    confirm(step, nil),
			WantErr: domain.ErrInvalid, WantFields: []string{"recovery_codes:required"},
		},
		{
			Name:    "no recovery hash may be empty",
			Given:   one(started("sealed-1")),
			When:    confirm(step, []string{"h", ""}),
			WantErr: domain.ErrInvalid, WantFields: []string{"recovery_codes:required"},
		},
	})
}

func TestUseCode(t *testing.T) {
	use := func(s int64) func(*mfa.TOTP) ([]domain.Event, error) {
		return func(a *mfa.TOTP) ([]domain.Event, error) { return a.UseCode(s, now) }
	}
	run(t, []scenario{
		{Name: "a newer step is used", Given: enrolledAt(step), When: use(step + 1), Then: one(codeUsed(step + 1))},
		{
			Name:    "the confirming code's step is not accepted again",
			Given:   enrolledAt(step),
			When:    use(step),
			WantErr: mfa.ErrCodeReplayed, WantFields: []string{":totp_code_replayed"},
		},
		{
			Name:    "a step used at login is not accepted again",
			Given:   append(enrolledAt(step), codeUsed(step+1)),
			When:    use(step + 1),
			WantErr: mfa.ErrCodeReplayed,
		},
		{
			Name:    "an older step than the last used is refused",
			Given:   append(enrolledAt(step), codeUsed(step+2)),
			When:    use(step + 1),
			WantErr: mfa.ErrCodeReplayed,
		},
		{
			Name:    "refused while only pending",
			Given:   one(started("sealed-1")),
			When:    use(step),
			WantErr: mfa.ErrNotEnrolled, WantFields: []string{":totp_not_enrolled"},
		},
		{Name: "refused when never enrolled", When: use(step), WantErr: mfa.ErrNotEnrolled},
		{
			Name:    "refused after a reset",
			Given:   append(enrolledAt(step), reset()),
			When:    use(step + 1),
			WantErr: mfa.ErrNotEnrolled,
		},
		{
			Name:  "a new secret after a reset starts a fresh step history",
			Given: append(append(enrolledAt(step+5), reset()), enrolledAt(step)...),
			When:  use(step + 1),
			Then:  one(codeUsed(step + 1)),
		},
	})
}

func TestUseRecoveryCode(t *testing.T) {
	use := func(i int) func(*mfa.TOTP) ([]domain.Event, error) {
		return func(a *mfa.TOTP) ([]domain.Event, error) { return a.UseRecoveryCode(i, now) }
	}
	run(t, []scenario{
		{Name: "an unused code is used", Given: enrolledAt(step), When: use(1), Then: one(recoveryUsed(1))},
		{
			Name:  "another code after one was used",
			Given: append(enrolledAt(step), recoveryUsed(1)),
			When:  use(2),
			Then:  one(recoveryUsed(2)),
		},
		{
			Name:    "each code is used once",
			Given:   append(enrolledAt(step), recoveryUsed(1)),
			When:    use(1),
			WantErr: mfa.ErrRecoveryCodeUsed, WantFields: []string{":recovery_code_used"},
		},
		{Name: "index past the codes", Given: enrolledAt(step), When: use(3), WantErr: domain.ErrInvalid, WantFields: []string{"index:invalid"}},
		{Name: "negative index", Given: enrolledAt(step), When: use(-1), WantErr: domain.ErrInvalid},
		{Name: "refused when not enrolled", Given: one(started("s")), When: use(0), WantErr: mfa.ErrNotEnrolled},
	})
}

func TestReset(t *testing.T) {
	resetNow := func(a *mfa.TOTP) ([]domain.Event, error) { return a.Reset(now), nil }
	run(t, []scenario{
		{Name: "enrolled user is reset", Given: enrolledAt(step), When: resetNow, Then: one(reset())},
		{Name: "pending enrolment is reset", Given: one(started("s")), When: resetNow, Then: one(reset())},
		{Name: "nothing to reset changes nothing", When: resetNow},
		{Name: "a second reset changes nothing", Given: append(enrolledAt(step), reset()), When: resetNow},
	})
}

func TestAccessors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		given    []domain.Event
		enrolled bool
		pending  bool
		secret   string
		hashes   []string
		used     []int
		lastStep int64
		anyStep  bool
	}{
		{name: "never enrolled"},
		{name: "pending", given: one(started("s1")), pending: true, secret: "s1"},
		{name: "restarted", given: one(started("s1"), started("s2")), pending: true, secret: "s2"},
		{
			name: "enrolled, codes used", given: append(enrolledAt(step), recoveryUsed(0), recoveryUsed(2), codeUsed(step+3)),
			enrolled: true, secret: "sealed-1", hashes: hashes, used: []int{0, 2}, lastStep: step + 3, anyStep: true,
		},
		{name: "reset", given: append(enrolledAt(step), recoveryUsed(0), reset())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := load(t, tc.given...)
			if a.UserID() != userID {
				t.Errorf("UserID = %s", a.UserID())
			}
			if a.Enrolled() != tc.enrolled || a.Pending() != tc.pending {
				t.Errorf("Enrolled, Pending = %v, %v; want %v, %v", a.Enrolled(), a.Pending(), tc.enrolled, tc.pending)
			}
			if a.SealedSecret() != tc.secret {
				t.Errorf("SealedSecret = %q, want %q", a.SealedSecret(), tc.secret)
			}
			if got := a.RecoveryCodeHashes(); !slices.Equal(got, tc.hashes) {
				t.Errorf("RecoveryCodeHashes = %q, want %q", got, tc.hashes)
			}
			for i := -1; i <= len(hashes); i++ {
				if want := slices.Contains(tc.used, i); a.Used(i) != want {
					t.Errorf("Used(%d) = %v, want %v", i, a.Used(i), want)
				}
			}
			if s, ok := a.LastStep(); s != tc.lastStep || ok != tc.anyStep {
				t.Errorf("LastStep = %d, %v; want %d, %v", s, ok, tc.lastStep, tc.anyStep)
			}
		})
	}
}

func TestRecoveryCodeHashesIsACopy(t *testing.T) {
	a := load(t, enrolledAt(step)...)
	a.RecoveryCodeHashes()[0] = "changed"
	if a.RecoveryCodeHashes()[0] != hashes[0] {
		t.Error("changing the returned hashes changed the aggregate")
	}
}

func TestLoadRefusesForeignEvents(t *testing.T) {
	other := uuid.MustParse("6f1c1d2e-0000-4000-8000-0000000000f2")
	for _, tc := range []struct {
		name string
		e    domain.Event
	}{
		{"other user's event", mfa.Reset{UserID: other, At: now}},
		{"event of another aggregate", foreign{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mfa.Load(userID, tc.e); err == nil {
				t.Error("no error")
			}
		})
	}
}

type foreign struct{}

func (foreign) EventType() string { return "other.thing.v1" }

func TestCodecRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(mfa.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	events := []domain.Event{started("s"), enrolled(), codeUsed(step), recoveryUsed(2), reset()}
	seen := map[string]bool{}
	for _, e := range events {
		typ, data, err := codec.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		seen[typ] = true
		back, err := codec.Unmarshal(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !equalEvent(back, e) {
			t.Errorf("%s round trip = %#v, want %#v", typ, back, e)
		}
	}
	// The type names are stored with every event and never change.
	want := []string{"mfa.recovery_code_used.v1", "mfa.reset.v1", "mfa.totp_code_used.v1", "mfa.totp_enrolled.v1", "mfa.totp_enrollment_started.v1"}
	if got := codec.Types(); !slices.Equal(got, want) || len(seen) != len(want) {
		t.Errorf("types = %v (round-tripped %d), want %v", got, len(seen), want)
	}
	if mfa.Stream(userID) != "mfa-"+userID.String() {
		t.Errorf("Stream = %q", mfa.Stream(userID))
	}
}

func equalEvent(a, b domain.Event) bool {
	if x, ok := a.(mfa.TOTPEnrolled); ok {
		y, ok := b.(mfa.TOTPEnrolled)
		return ok && x.UserID == y.UserID && x.At.Equal(y.At) && slices.Equal(x.RecoveryCodeHashes, y.RecoveryCodeHashes)
	}
	return a == b
}
