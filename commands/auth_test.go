package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

const (
	loginPassword = "correct horse battery"
	loginWrong    = "wrong horse battery"
)

var (
	adminMD     = commands.Metadata{ActorID: "0b8e2f4e-0f3c-4a53-9d55-6d2bb1e0c0ad", ActorKind: commands.ActorUser, CorrelationID: "req-admin"}
	loginClient = auth.ClientInfo{IP: "198.51.100.4", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", Device: "desktop", Browser: "Firefox 121", OS: "Linux"}
)

// countingVerifier counts the password checks, to prove a retried attempt
// does not hash again.
type countingVerifier struct {
	commands.PasswordVerifier
	n atomic.Int64
}

func (c *countingVerifier) Verify(ctx context.Context, pw, hash string) (bool, error) {
	c.n.Add(1)
	return c.PasswordVerifier.Verify(ctx, pw, hash)
}

type authFixture struct {
	store    *embedded.Store
	users    *commands.Users
	auth     *commands.Auth
	clock    *clock
	verifier *countingVerifier
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	// Tiny argon2id parameters keep the tests fast; production uses OWASP.
	params := password.OWASP
	params.Memory, params.Iterations = 64, 1
	hasher := password.NewHasher(params, 4)
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	users, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: hasher, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	v := &countingVerifier{PasswordVerifier: hasher}
	a, err := commands.NewAuth(commands.AuthConfig{Store: store, Verifier: v, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &authFixture{store: store, users: users, auth: a, clock: c, verifier: v}
}

// createUser creates an active user with loginPassword.
func (f *authFixture) createUser(t *testing.T, email string) uuid.UUID {
	t.Helper()
	res, err := f.users.Create(context.Background(), adminMD, commands.CreateUser{Email: email, FirstName: "Ada", Password: loginPassword})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return res.ID
}

func (f *authFixture) login(email, pw string) (commands.LoginResult, error) {
	return f.auth.Login(context.Background(), commands.Metadata{CorrelationID: "req-login"}, commands.LoginAttempt{Email: email, Password: pw, Client: loginClient})
}

// mustRefuse fails unless err is exactly ErrInvalidCredentials.
func mustRefuse(t *testing.T, err error) {
	t.Helper()
	if err != commands.ErrInvalidCredentials { // the very value: no wrapper may add detail
		t.Fatalf("err = %v, want exactly ErrInvalidCredentials", err)
	}
}

// attempt is one recorded auth event, decoded.
type attempt struct {
	typ    string
	reason auth.FailureReason
	locked auth.Locked
	raw    eventstore.RecordedEvent
}

func (f *authFixture) attempts(t *testing.T, id uuid.UUID) []attempt {
	t.Helper()
	recs, err := f.store.ReadStream(context.Background(), auth.Stream(id), eventstore.ReadStreamOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := make([]attempt, len(recs))
	for i, r := range recs {
		out[i] = attempt{typ: r.Type, raw: r}
		switch r.Type {
		case auth.TypeLoginFailed:
			var e auth.LoginFailed
			mustUnmarshal(t, r.Data, &e)
			out[i].reason = e.Reason
		case auth.TypeLocked:
			mustUnmarshal(t, r.Data, &out[i].locked)
		}
	}
	return out
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// summary shows attempts compactly: "ok", the failure reason, "LOCKED",
// "cleared".
func summary(as []attempt) []string {
	var out []string
	for _, a := range as {
		switch a.typ {
		case auth.TypeLoginSucceeded:
			out = append(out, "ok")
		case auth.TypeLoginFailed:
			out = append(out, string(a.reason))
		case auth.TypeLocked:
			out = append(out, "LOCKED")
		case auth.TypeLockoutCleared:
			out = append(out, "cleared")
		}
	}
	return out
}

func wantSummary(t *testing.T, as []attempt, want ...string) {
	t.Helper()
	got := summary(as)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("auth stream %q, want %q", got, want)
	}
}

func TestLoginSucceeds(t *testing.T) {
	f := newAuthFixture(t)
	id := f.createUser(t, "ada@example.com")
	before := f.clock.Now()
	res, err := f.login(" Ada@EXAMPLE.com ", loginPassword)
	if err != nil {
		t.Fatal(err)
	}
	if res.UserID != id || !res.DecidedAt.Equal(before) || res.Position == (eventstore.Position{}) {
		t.Fatalf("result %+v", res)
	}
	as := f.attempts(t, id)
	wantSummary(t, as, "ok")
	var e auth.LoginSucceeded
	mustUnmarshal(t, as[0].raw.Data, &e)
	if e.UserID != id || e.Client != loginClient || !e.At.Equal(before) {
		t.Fatalf("event %+v", e)
	}
	if as[0].raw.Position != res.Position {
		t.Fatalf("result position %v, event at %v", res.Position, as[0].raw.Position)
	}
	m, err := commands.DecodeMetadata(as[0].raw.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if m.ActorID != id.String() || m.ActorKind != commands.ActorUser || m.CorrelationID != "req-login" || m.ClientIP != loginClient.IP {
		t.Fatalf("metadata %+v", m)
	}
	// An unauthenticated request carries system metadata: the actor is
	// still the user.
	_, err = f.auth.Login(context.Background(), commands.System("req-2"), commands.LoginAttempt{Email: "ada@example.com", Password: loginWrong})
	mustRefuse(t, err)
	as = f.attempts(t, id)
	if m, err := commands.DecodeMetadata(as[1].raw.Metadata); err != nil || m.ActorID != id.String() || m.ActorKind != commands.ActorUser || m.CorrelationID != "req-2" {
		t.Fatalf("metadata of a login with system metadata %+v, %v", m, err)
	}
	for _, secret := range []string{loginPassword, "ada@example.com", "$argon2id$"} {
		if strings.Contains(string(as[0].raw.Data)+string(as[0].raw.Metadata), secret) {
			t.Fatalf("the event holds %q", secret)
		}
	}
}

func TestLoginRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// setup creates the account (if any) and returns its ID.
		setup    func(t *testing.T, f *authFixture) uuid.UUID
		email    string
		password string
		want     []string // the auth stream after the attempt; nil: no stream
	}{
		{
			name:     "wrong password",
			setup:    func(t *testing.T, f *authFixture) uuid.UUID { return f.createUser(t, "ada@example.com") },
			email:    "ada@example.com",
			password: loginWrong,
			want:     []string{"wrong_password"},
		},
		{
			name:     "unknown email",
			setup:    func(t *testing.T, f *authFixture) uuid.UUID { f.createUser(t, "ada@example.com"); return uuid.Nil },
			email:    "bob@example.com",
			password: loginPassword,
		},
		{
			name:     "malformed email",
			setup:    func(*testing.T, *authFixture) uuid.UUID { return uuid.Nil },
			email:    "not an email",
			password: loginPassword,
		},
		{
			name: "suspended",
			setup: func(t *testing.T, f *authFixture) uuid.UUID {
				id := f.createUser(t, "ada@example.com")
				if _, err := f.users.Suspend(ctx, adminMD, id, nil, "spam"); err != nil {
					t.Fatal(err)
				}
				return id
			},
			email:    "ada@example.com",
			password: loginPassword,
			want:     []string{"suspended"},
		},
		{
			name: "deleted (data kept)",
			setup: func(t *testing.T, f *authFixture) uuid.UUID {
				id := f.createUser(t, "ada@example.com")
				if _, err := f.users.Delete(ctx, adminMD, id, nil, user.Soft); err != nil {
					t.Fatal(err)
				}
				return id
			},
			email:    "ada@example.com",
			password: loginPassword,
			want:     []string{"deleted"},
		},
		{
			name: "deleted and anonymized: the address is nobody's",
			setup: func(t *testing.T, f *authFixture) uuid.UUID {
				id := f.createUser(t, "ada@example.com")
				if _, err := f.users.Delete(ctx, adminMD, id, nil, user.Anonymize); err != nil {
					t.Fatal(err)
				}
				return id
			},
			email:    "ada@example.com",
			password: loginPassword,
		},
		{
			name: "invited, no password yet",
			setup: func(t *testing.T, f *authFixture) uuid.UUID {
				res, err := f.users.Create(ctx, adminMD, commands.CreateUser{Email: "ada@example.com", SendInvite: true})
				if err != nil {
					t.Fatal(err)
				}
				return res.ID
			},
			email:    "ada@example.com",
			password: loginPassword,
			want:     []string{"no_password"},
		},
		{
			name:     "password longer than any that can be set",
			setup:    func(t *testing.T, f *authFixture) uuid.UUID { return f.createUser(t, "ada@example.com") },
			email:    "ada@example.com",
			password: loginPassword + strings.Repeat("x", 100_000),
			want:     []string{"wrong_password"},
		},
		{
			name: "former address after an email change",
			setup: func(t *testing.T, f *authFixture) uuid.UUID {
				id := f.createUser(t, "ada@example.com")
				email := "ada@new.example"
				if _, err := f.users.Edit(ctx, adminMD, id, nil, user.Patch{Email: &email}); err != nil {
					t.Fatal(err)
				}
				return id
			},
			email:    "ada@example.com",
			password: loginPassword,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuthFixture(t)
			id := tc.setup(t, f)
			_, err := f.login(tc.email, tc.password)
			mustRefuse(t, err)
			if n := f.verifier.n.Load(); n != 1 {
				t.Fatalf("%d password checks, want exactly 1 (same work whatever the outcome)", n)
			}
			// A refusal with no account to record it for is recorded in
			// the unknown-account stream, with nothing personal.
			unknown, err := f.store.ReadStream(ctx, auth.UnknownAccountStream, eventstore.ReadStreamOptions{})
			if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.want == nil]; len(unknown) != want {
				t.Fatalf("%d records of unknown-account logins, want %d", len(unknown), want)
			}
			for _, r := range unknown {
				for _, secret := range []string{loginClient.IP, loginClient.UserAgent, tc.email, "ada"} {
					if r.Type != auth.TypeUnknownAccountLoginFailed || strings.Contains(string(r.Data)+string(r.Metadata), secret) {
						t.Fatalf("unknown-account record %s holds %q: %s %s", r.Type, secret, r.Data, r.Metadata)
					}
				}
			}
			if id == uuid.Nil {
				return
			}
			wantSummary(t, f.attempts(t, id), tc.want...)
		})
	}
}

func TestLockoutAfterMaxFailures(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	id := f.createUser(t, "ada@example.com")
	for range 4 {
		_, err := f.login("ada@example.com", loginWrong)
		mustRefuse(t, err)
	}
	st, err := f.auth.LockState(ctx, id)
	if err != nil || st != (commands.LockState{RecentFailures: 4}) {
		t.Fatalf("lock state %+v, %v", st, err)
	}
	_, err = f.login("ada@example.com", loginWrong)
	mustRefuse(t, err)
	start := f.clock.Now()
	st, err = f.auth.LockState(ctx, id)
	if err != nil || st != (commands.LockState{Locked: true, Until: start.Add(15 * time.Minute)}) {
		t.Fatalf("lock state %+v, %v", st, err)
	}
	// A correct password fails while locked, and is recorded as such.
	_, err = f.login("ada@example.com", loginPassword)
	mustRefuse(t, err)
	f.clock.Advance(15*time.Minute - time.Second)
	_, err = f.login("ada@example.com", loginPassword)
	mustRefuse(t, err)
	// The lock ends by time.
	f.clock.Advance(time.Second)
	if _, err := f.login("ada@example.com", loginPassword); err != nil {
		t.Fatalf("login after the lock ended: %v", err)
	}
	as := f.attempts(t, id)
	wantSummary(t, as, "wrong_password", "wrong_password", "wrong_password", "wrong_password", "wrong_password", "LOCKED", "locked", "locked", "ok")
	if l := as[5].locked; l.Failures != 5 || l.Permanent || !l.Until.Equal(start.Add(15*time.Minute)) {
		t.Fatalf("lock %+v", l)
	}
	if st, _ := f.auth.LockState(ctx, id); st != (commands.LockState{}) {
		t.Fatalf("lock state after success %+v", st)
	}
}

func TestLockoutPolicy(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	p, rev, err := f.auth.LockoutPolicy(ctx)
	if err != nil || p != auth.DefaultPolicy() || rev != eventstore.NoRevision {
		t.Fatalf("initial policy %+v rev %d, %v", p, rev, err)
	}
	strict := auth.Policy{MaxFailures: 2, Window: time.Hour, LockDuration: time.Hour}

	// Invalid: every bad field is named, nothing is written.
	_, err = f.auth.SetLockoutPolicy(ctx, adminMD, nil, auth.Policy{MaxFailures: 0, Window: time.Hour, LockDuration: 0})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("invalid policy: %v", err)
	}
	// Setting the default when never set changes nothing.
	if res, err := f.auth.SetLockoutPolicy(ctx, adminMD, nil, auth.DefaultPolicy()); err != nil || res.Appended {
		t.Fatalf("set default: %+v, %v", res, err)
	}
	res, err := f.auth.SetLockoutPolicy(ctx, adminMD, nil, strict)
	if err != nil || !res.Appended || res.Revision != 0 {
		t.Fatalf("set: %+v, %v", res, err)
	}
	if p, rev, _ := f.auth.LockoutPolicy(ctx); p != strict || rev != 0 {
		t.Fatalf("policy %+v rev %d", p, rev)
	}
	// If-Match: a stale revision fails, the current one succeeds.
	stale := uint64(7)
	if _, err := f.auth.SetLockoutPolicy(ctx, adminMD, &stale, auth.DefaultPolicy()); !errors.Is(err, domain.ErrPreconditionFailed) {
		t.Fatalf("stale If-Match: %v", err)
	}
	current := uint64(0)
	if res, err := f.auth.SetLockoutPolicy(ctx, adminMD, &current, strict); err != nil || res.Appended || res.Revision != 0 {
		t.Fatalf("unchanged with If-Match: %+v, %v", res, err)
	}

	// The new policy decides: two failures lock for an hour.
	id := f.createUser(t, "ada@example.com")
	for range 2 {
		_, err := f.login("ada@example.com", loginWrong)
		mustRefuse(t, err)
	}
	f.clock.Advance(59 * time.Minute)
	_, err = f.login("ada@example.com", loginPassword)
	mustRefuse(t, err)
	f.clock.Advance(time.Minute)
	if _, err := f.login("ada@example.com", loginPassword); err != nil {
		t.Fatalf("login after the hour: %v", err)
	}
	wantSummary(t, f.attempts(t, id), "wrong_password", "wrong_password", "LOCKED", "locked", "ok")
}

func TestPermanentLockAndClear(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	p := auth.Policy{MaxFailures: 2, Window: time.Hour, LockDuration: time.Minute, PermanentAfter: 2}
	if _, err := f.auth.SetLockoutPolicy(ctx, adminMD, nil, p); err != nil {
		t.Fatal(err)
	}
	id := f.createUser(t, "ada@example.com")
	fail := func(n int) {
		t.Helper()
		for range n {
			_, err := f.login("ada@example.com", loginWrong)
			mustRefuse(t, err)
		}
	}
	fail(2) // first lock: a minute
	f.clock.Advance(2 * time.Minute)
	fail(2) // second lock: for good
	f.clock.Advance(365 * 24 * time.Hour)
	_, err := f.login("ada@example.com", loginPassword)
	mustRefuse(t, err)
	st, err := f.auth.LockState(ctx, id)
	if err != nil || st != (commands.LockState{Locked: true, Permanent: true}) {
		t.Fatalf("lock state %+v, %v", st, err)
	}

	res, err := f.auth.ClearLockout(ctx, adminMD, id)
	if err != nil || !res.Appended || res.ID != id {
		t.Fatalf("clear: %+v, %v", res, err)
	}
	if _, err := f.login("ada@example.com", loginPassword); err != nil {
		t.Fatalf("login after clear: %v", err)
	}
	as := f.attempts(t, id)
	wantSummary(t, as, "wrong_password", "wrong_password", "LOCKED", "wrong_password", "wrong_password", "LOCKED", "locked", "cleared", "ok")
	if as[2].locked.Permanent || !as[5].locked.Permanent || !as[5].locked.Until.IsZero() {
		t.Fatalf("locks %+v then %+v", as[2].locked, as[5].locked)
	}
	m, err := commands.DecodeMetadata(as[7].raw.Metadata)
	if err != nil || m.ActorID != adminMD.ActorID {
		t.Fatalf("clear metadata %+v, %v", m, err)
	}
}

func TestClearLockout(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	if _, err := f.auth.ClearLockout(ctx, adminMD, uuid.New()); !errors.Is(err, user.ErrNoUser) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := f.auth.LockState(ctx, uuid.New()); !errors.Is(err, user.ErrNoUser) {
		t.Fatalf("lock state of an unknown user: %v", err)
	}
	id := f.createUser(t, "ada@example.com")
	if res, err := f.auth.ClearLockout(ctx, adminMD, id); err != nil || res.Appended {
		t.Fatalf("nothing to clear: %+v, %v", res, err)
	}
	for range 5 {
		_, err := f.login("ada@example.com", loginWrong)
		mustRefuse(t, err)
	}
	res, err := f.auth.ClearLockout(ctx, adminMD, id)
	if err != nil || !res.Appended || res.Revision != 6 {
		t.Fatalf("clear: %+v, %v", res, err)
	}
	if res, err := f.auth.ClearLockout(ctx, adminMD, id); err != nil || res.Appended || res.Revision != 6 {
		t.Fatalf("clear again: %+v, %v", res, err)
	}
	if st, err := f.auth.LockState(ctx, id); err != nil || st != (commands.LockState{}) {
		t.Fatalf("lock state %+v, %v", st, err)
	}
	if _, err := f.login("ada@example.com", loginPassword); err != nil {
		t.Fatalf("login after clear: %v", err)
	}
	if _, err := f.users.Delete(ctx, adminMD, id, nil, user.Soft); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.ClearLockout(ctx, adminMD, id); !errors.Is(err, user.ErrDeleted) {
		t.Fatalf("deleted user: %v", err)
	}
}

// Many wrong passwords at once, on one node or spread over several that
// share the store (then the nodes race on the stream's revision): every
// attempt is counted exactly once, the lock falls right after the
// MaxFailures-th counted failure, and every later attempt is recorded as
// refused while locked.
func TestConcurrentWrongPasswords(t *testing.T) {
	for _, nodes := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d nodes", nodes), func(t *testing.T) {
			f := newAuthFixture(t)
			id := f.createUser(t, "ada@example.com")
			handlers := []*commands.Auth{f.auth}
			for len(handlers) < nodes {
				a, err := commands.NewAuth(commands.AuthConfig{Store: f.store, Verifier: f.verifier, Now: f.clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				handlers = append(handlers, a)
			}
			const racers = 100
			var wg sync.WaitGroup
			errs := make(chan error, racers)
			for i := range racers {
				h := handlers[i%nodes]
				wg.Go(func() {
					_, err := h.Login(context.Background(), commands.Metadata{}, commands.LoginAttempt{Email: "ada@example.com", Password: loginWrong, Client: loginClient})
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				mustRefuse(t, err)
			}
			if n := f.verifier.n.Load(); n != racers {
				t.Fatalf("%d password checks for %d attempts: a retry hashed again", n, racers)
			}

			as := f.attempts(t, id)
			if len(as) != racers+1 {
				t.Fatalf("%d events for %d attempts, want one each and one lock", len(as), racers)
			}
			counted, lockAt := 0, -1
			for i, a := range as {
				switch {
				case a.typ == auth.TypeLocked:
					if lockAt >= 0 {
						t.Fatalf("second lock at %d", i)
					}
					lockAt = i
				case a.reason == auth.ReasonWrongPassword:
					counted++
					if lockAt >= 0 {
						t.Fatalf("a counted failure at %d, after the lock at %d", i, lockAt)
					}
				case a.reason != auth.ReasonLocked || lockAt < 0:
					t.Fatalf("event %d: %s %q", i, a.typ, a.reason)
				}
			}
			if counted != 5 || lockAt != 5 || as[lockAt].locked.Failures != 5 {
				t.Fatalf("%d counted failures, lock at %d (%+v); want 5 then the lock", counted, lockAt, as[lockAt].locked)
			}
			_, err := f.login("ada@example.com", loginPassword)
			mustRefuse(t, err)
		})
	}
}
