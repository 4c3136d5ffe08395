package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

// meteredHasher counts the argon2 hashes and verifications it does.
type meteredHasher struct {
	h                *password.Hasher
	hashes, verifies atomic.Int64
}

func (m *meteredHasher) Hash(ctx context.Context, pw string) (string, error) {
	m.hashes.Add(1)
	return m.h.Hash(ctx, pw)
}

func (m *meteredHasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	m.verifies.Add(1)
	return m.h.Verify(ctx, pw, hash)
}

type policyFixture struct {
	store     *embedded.Store
	users     *commands.Users
	passwords *commands.Passwords
	hasher    *meteredHasher
	clock     *clock
}

func newPolicyFixture(t *testing.T) *policyFixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	params := password.OWASP
	params.Memory = 1024 // fast tests; production uses OWASP
	h := &meteredHasher{h: password.NewHasher(params, 4)}
	common, err := password.NewCommonList()
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	pws, err := commands.NewPasswords(commands.PasswordsConfig{Store: store, Verifier: h, Common: common, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	users, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: h, Now: c.Now, Passwords: pws})
	if err != nil {
		t.Fatal(err)
	}
	return &policyFixture{store: store, users: users, passwords: pws, hasher: h, clock: c}
}

func (f *policyFixture) setPolicy(t *testing.T, p passwordpolicy.Policy) {
	t.Helper()
	if _, err := f.passwords.SetPasswordPolicy(context.Background(), md, nil, p); err != nil {
		t.Fatalf("set policy: %v", err)
	}
}

func (f *policyFixture) lastPosition(t *testing.T) eventstore.Position {
	t.Helper()
	pos, err := f.store.LastPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

// wantCodes fails unless err is a validation error with exactly these
// codes, all on "password".
func wantCodes(t *testing.T, err error, codes ...string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want a validation error %q", err, codes)
	}
	var got []string
	for _, f := range ve.Fields {
		if f.Field != "password" {
			t.Errorf("field %q, want password", f.Field)
		}
		got = append(got, f.Code)
	}
	if !slices.Equal(got, codes) {
		t.Fatalf("codes = %q, want %q", got, codes)
	}
}

func TestSetPasswordPolicy(t *testing.T) {
	ctx := context.Background()
	f := newPolicyFixture(t)
	if p, rev, err := f.passwords.PasswordPolicy(ctx); err != nil || !p.Equal(passwordpolicy.DefaultPolicy()) || rev != -1 {
		t.Fatalf("initial policy %+v rev %d, %v", p, rev, err)
	}

	// Invalid: every bad field is named, nothing is written.
	before := f.lastPosition(t)
	_, err := f.passwords.SetPasswordPolicy(ctx, md, nil, passwordpolicy.Policy{MinLength: 4, History: 30})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("invalid policy: %v", err)
	}
	// Setting the default when never set changes nothing.
	if res, err := f.passwords.SetPasswordPolicy(ctx, md, nil, passwordpolicy.DefaultPolicy()); err != nil || res.Appended {
		t.Fatalf("set default: %+v, %v", res, err)
	}
	if after := f.lastPosition(t); after != before {
		t.Fatalf("log moved from %d to %d without a change", before, after)
	}

	strict := passwordpolicy.Policy{MinLength: 12, RequireClasses: []passwordpolicy.Class{passwordpolicy.ClassDigit}, History: 3, RejectCommon: true}
	res, err := f.passwords.SetPasswordPolicy(ctx, md, nil, strict)
	if err != nil || !res.Appended || res.Revision != 0 {
		t.Fatalf("set: %+v, %v", res, err)
	}
	if p, rev, _ := f.passwords.PasswordPolicy(ctx); !p.Equal(strict) || rev != 0 {
		t.Fatalf("policy %+v rev %d", p, rev)
	}

	// If-Match: a stale revision fails and writes nothing; the current one
	// succeeds.
	stale := uint64(7)
	if _, err := f.passwords.SetPasswordPolicy(ctx, md, &stale, passwordpolicy.DefaultPolicy()); !errors.Is(err, domain.ErrPreconditionFailed) {
		t.Fatalf("stale If-Match: %v", err)
	}
	current := uint64(0)
	if res, err := f.passwords.SetPasswordPolicy(ctx, md, &current, strict); err != nil || res.Appended || res.Revision != 0 {
		t.Fatalf("unchanged with If-Match: %+v, %v", res, err)
	}
	looser := strict
	looser.MinLength = 10
	if res, err := f.passwords.SetPasswordPolicy(ctx, md, &current, looser); err != nil || !res.Appended || res.Revision != 1 {
		t.Fatalf("change with If-Match: %+v, %v", res, err)
	}
	if _, err := f.passwords.SetPasswordPolicy(ctx, md, &current, strict); !errors.Is(err, domain.ErrPreconditionFailed) {
		t.Fatalf("If-Match of the revision before: %v", err)
	}
	if p, rev, _ := f.passwords.PasswordPolicy(ctx); !p.Equal(looser) || rev != 1 {
		t.Fatalf("policy %+v rev %d, want the looser one at 1", p, rev)
	}
}

func TestCreateWithWeakPasswordWritesAndHashesNothing(t *testing.T) {
	ctx := context.Background()
	f := newPolicyFixture(t)

	// The default policy refuses common passwords.
	before := f.lastPosition(t)
	_, err := f.users.Create(ctx, md, commands.CreateUser{Email: "ada@example.com", Password: "123456789"})
	wantCodes(t, err, "common_password")
	if after := f.lastPosition(t); after != before {
		t.Fatalf("a refused create moved the log from %v to %v", before, after)
	}

	f.setPolicy(t, passwordpolicy.Policy{MinLength: 12, RequireClasses: passwordpolicy.Classes(), RejectCommon: true})
	before = f.lastPosition(t)
	_, err = f.users.Create(ctx, md, commands.CreateUser{Email: "ada@example.com", Password: "password"})
	wantCodes(t, err, "too_short", "missing_uppercase", "missing_digit", "missing_symbol", "common_password")
	if after := f.lastPosition(t); after != before {
		t.Fatalf("a refused create moved the log from %v to %v", before, after)
	}
	if n := f.hasher.hashes.Load() + f.hasher.verifies.Load(); n != 0 {
		t.Fatalf("a refused password cost %d argon2 operations", n)
	}

	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "ada@example.com", Password: "Tr0ub4dor&3-staple"})
	if err != nil || !res.Appended {
		t.Fatalf("create with a strong password: %+v, %v", res, err)
	}
	if n := f.hasher.hashes.Load(); n != 1 {
		t.Fatalf("%d hashes, want 1", n)
	}
}

func TestChangePasswordHistory(t *testing.T) {
	ctx := context.Background()
	f := newPolicyFixture(t)
	f.setPolicy(t, passwordpolicy.Policy{MinLength: 8, History: 2, RejectCommon: true})
	const a, b, c = "first-secret-A", "second-secret-B", "third-secret-C"
	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "ada@example.com", Password: a})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	change := func(pw string) error {
		_, err := f.users.ChangePassword(ctx, md, id, nil, pw)
		return err
	}
	steps := []struct {
		pw     string
		reused bool
	}{
		{a, true},  // the current password
		{b, false}, // history: b, a
		{a, true},  // one newer password is not enough
		{b, true},
		{c, false}, // history: c, b
		{a, false}, // two newer passwords: a may come back
	}
	for i, s := range steps {
		err := change(s.pw)
		if s.reused {
			wantCodes(t, err, "reused_password")
		} else if err != nil {
			t.Fatalf("step %d: change: %v", i, err)
		}
	}
	sets := 0
	recs, err := f.store.ReadStream(ctx, user.Stream(id), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.Type == user.TypePasswordSet {
			sets++
		}
	}
	if sets != 4 { // create, b, c, a
		t.Fatalf("%d passwords set, want 4", sets)
	}

	// A password that breaks a rule is refused with its reasons and no
	// argon2 work, history or hash.
	ops := f.hasher.hashes.Load() + f.hasher.verifies.Load()
	before := f.lastPosition(t)
	wantCodes(t, change("qwerty"), "too_short", "common_password")
	if n := f.hasher.hashes.Load() + f.hasher.verifies.Load(); n != ops {
		t.Fatalf("a refused password cost %d argon2 operations", n-ops)
	}
	if after := f.lastPosition(t); after != before {
		t.Fatal("a refused change wrote to the event store")
	}
	if err := change("fourth-secret-D"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.ChangePassword(ctx, md, uuid.New(), nil, "fifth-secret-E"); !errors.Is(err, user.ErrNoUser) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestNoHistoryAllowsTheSamePassword(t *testing.T) {
	ctx := context.Background()
	f := newPolicyFixture(t)
	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "ada@example.com", Password: "first-secret-A"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.ChangePassword(ctx, md, res.ID, nil, "first-secret-A"); err != nil {
		t.Fatalf("History 0 refused the same password: %v", err)
	}
	if n := f.hasher.verifies.Load(); n != 0 {
		t.Fatalf("History 0 verified %d hashes", n)
	}
}

func TestPasswordExpired(t *testing.T) {
	day := 24 * time.Hour
	set := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hash := "$argon2id$v=19$m=19456,t=2,p=1$cHJvYmVwcm9iZXByb2Jl$cHJvYmVwcm9iZXByb2JlcHJvYmVwcm9iZXByb2Jl"
	id := uuid.New()
	withPassword, err := user.Load(
		user.Created{UserID: id, PII: user.PII{Email: "ada@example.com"}, At: set},
		user.PasswordSet{UserID: id, PII: user.PasswordPII{PasswordHash: hash}, At: set},
	)
	if err != nil {
		t.Fatal(err)
	}
	withoutPassword, err := user.Load(user.Created{UserID: id, PII: user.PII{Email: "ada@example.com"}, At: set})
	if err != nil {
		t.Fatal(err)
	}
	p30 := passwordpolicy.Policy{MinLength: 8, MaxAgeDays: 30}
	tests := []struct {
		name string
		u    *user.User
		p    passwordpolicy.Policy
		now  time.Time
		want bool
	}{
		{name: "younger than the maximum", u: withPassword, p: p30, now: set.Add(30*day - time.Second)},
		{name: "at the maximum", u: withPassword, p: p30, now: set.Add(30 * day), want: true},
		{name: "no maximum", u: withPassword, p: passwordpolicy.DefaultPolicy(), now: set.Add(1000 * day)},
		{name: "no password", u: withoutPassword, p: p30, now: set.Add(1000 * day)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := commands.PasswordExpired(tc.u, tc.p, tc.now); got != tc.want {
				t.Fatalf("PasswordExpired = %v, want %v", got, tc.want)
			}
		})
	}
}
