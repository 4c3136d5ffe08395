package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// PasswordVerifier checks a password against an argon2id PHC hash.
// infra/crypto/password.Hasher is one; it bounds how many verifications run
// at once, so a burst of logins queues instead of exhausting memory.
type PasswordVerifier interface {
	Verify(ctx context.Context, password, hash string) (bool, error)
}

// ErrInvalidCredentials is the one error of every refused login: unknown
// email, wrong password, locked out, suspended, deleted, no password set.
// Telling them apart would tell an attacker which addresses have accounts
// and which guesses are being counted; the reason is recorded in the user's
// auth stream for admins instead.
var ErrInvalidCredentials = errors.New("invalid email or password")

// AuthConfig configures the login command handlers.
type AuthConfig struct {
	Store    EventStore
	Verifier PasswordVerifier
	// Now defaults to the clock.
	Now func() time.Time
	// Retries bounds the re-load-and-decide rounds after a concurrent write
	// to the same stream (default 50), each after a short random pause. It
	// is high because many attempts on one account at once are normal under
	// attack, and each must be counted.
	Retries int
}

func (c *AuthConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retries <= 0 {
		c.Retries = 50
	}
}

// Auth handles logins, lockouts and the lockout policy. It is safe for
// concurrent use.
type Auth struct {
	s        streams
	verifier PasswordVerifier
	retries  int
	turns    turns
}

// NewAuth returns the login command handlers.
func NewAuth(cfg AuthConfig) (*Auth, error) {
	cfg.setDefaults()
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if cfg.Verifier == nil {
		errs = append(errs, errors.New("no password verifier"))
	}
	codec, err := domain.NewCodec(slices.Concat(
		auth.Registrations(), auth.PolicyRegistrations(),
		user.Registrations(), user.ReservationRegistrations())...)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &Auth{
		s:        streams{store: cfg.Store, codec: codec, now: cfg.Now},
		verifier: cfg.Verifier,
		retries:  cfg.Retries,
	}, nil
}

// dummyHash is the argon2id hash (OWASP parameters: m=19456, t=2, p=1) of
// a random password nobody knows. A login for an address without a usable
// account verifies against it, so that it costs the same argon2 work as
// a real one and its timing does not tell whether the account exists.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$xqrjJ+IftJcCfXvSBSpI3g$+rFPKXWrrQ2az4ispHpgBjkK/CG7FrjHhYdH7nyJsRQ"

// Bounds of what a login attempt stores about its client.
const (
	maxIPBytes         = 64
	maxClientFactBytes = 64 // Device, Browser, OS
)

// LoginAttempt is the input of Login.
type LoginAttempt struct {
	Email    string
	Password string // never stored, logged or echoed
	Client   auth.ClientInfo
	// SecondFactor, when set, tells whether the user must also pass a
	// second factor. Then a correct password records nothing yet (it must
	// not reset the failure count the second factor's failures add to):
	// the result has SecondFactorRequired, and CompleteSecondFactor
	// records the outcome.
	SecondFactor func(ctx context.Context, userID uuid.UUID) (bool, error)
}

// LoginResult is what a successful login answers.
type LoginResult struct {
	UserID uuid.UUID
	// SecondFactorRequired: the password was right; the login completes
	// with CompleteSecondFactor.
	SecondFactorRequired bool
	// DecidedAt is when the user's state was read for the decision. A
	// suspension, password reset or deletion the login did not see happened
	// after it, so a session store that refuses sessions decided at or
	// before the user's last revocation closes the race between a login in
	// flight and a revocation (see infra/session).
	DecidedAt time.Time
	// Position is the global position of the LoginSucceeded event.
	Position eventstore.Position
}

// Login checks an email and password and records the attempt in the
// user's auth stream. Every refusal is ErrInvalidCredentials; other errors
// are failures of the service (store, context), never of the login.
//
// The flow spends the same argon2 work whatever the outcome: an unknown
// address, or a user who is suspended, deleted or without a password, is
// verified against a dummy hash; a locked user's password is still
// verified. The attempt is then decided on the user's login state (locked
// or not, failures so far) and appended at the revision it was decided on;
// when a concurrent attempt got in first, the state is re-read and the
// attempt decided again, without hashing again, so that every attempt is
// counted exactly once and the lock falls exactly at the policy's limit.
//
// The events' actor is the user, unless md names another user.
func (a *Auth) Login(ctx context.Context, md Metadata, in LoginAttempt) (LoginResult, error) {
	pw, pwTooLong := boundPassword(in.Password)
	decidedAt := a.s.now()
	u, reason, err := a.account(ctx, in.Email)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if u == nil || reason != "" {
		if err := a.verifyDummy(ctx, pw); err != nil {
			return LoginResult{}, err
		}
		if u == nil {
			return LoginResult{}, a.recordUnknown(ctx, md, in.Client)
		}
	} else {
		ok, err := a.verifier.Verify(ctx, pw, u.PasswordHash())
		if err != nil {
			return LoginResult{}, fmt.Errorf("login: verify the password of user %s: %w", u.ID(), err)
		}
		if !ok || pwTooLong {
			reason = auth.ReasonWrongPassword
		}
	}
	policy, _, err := a.LockoutPolicy(ctx)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	secondFactor := false
	if reason == "" && in.SecondFactor != nil {
		if secondFactor, err = in.SecondFactor(ctx, u.ID()); err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
	}
	client := boundClient(in.Client)
	md = loginMetadata(md, u.ID(), client)
	decide := func(att *auth.Attempts, now time.Time) ([]domain.Event, bool) {
		if reason != "" {
			return att.Fail(policy, reason, client, now), false
		}
		if secondFactor {
			if locked, _, _ := att.Locked(now); locked {
				return att.Fail(policy, auth.ReasonLocked, client, now), false
			}
			return nil, true // the second factor decides
		}
		events, err := att.Succeed(client, now)
		if err != nil { // locked: a correct password fails too
			return att.Fail(policy, auth.ReasonLocked, client, now), false
		}
		return events, true
	}
	pos, ok, err := a.record(ctx, md, u.ID(), decide)
	switch {
	case err != nil:
		return LoginResult{}, fmt.Errorf("login: %w", err)
	case !ok:
		return LoginResult{}, ErrInvalidCredentials
	}
	return LoginResult{UserID: u.ID(), DecidedAt: decidedAt, Position: pos, SecondFactorRequired: secondFactor}, nil
}

// CompleteSecondFactor records the second step of a login whose password
// was right: passed, the login succeeds (unless the account got locked
// meanwhile); failed, it counts toward the lockout like a wrong password.
// It answers ErrInvalidCredentials when the login does not succeed.
func (a *Auth) CompleteSecondFactor(ctx context.Context, md Metadata, userID uuid.UUID, passed bool, c auth.ClientInfo) (LoginResult, error) {
	decidedAt := a.s.now()
	policy, _, err := a.LockoutPolicy(ctx)
	if err != nil {
		return LoginResult{}, fmt.Errorf("second factor: %w", err)
	}
	client := boundClient(c)
	md = loginMetadata(md, userID, client)
	pos, ok, err := a.record(ctx, md, userID, func(att *auth.Attempts, now time.Time) ([]domain.Event, bool) {
		if !passed {
			return att.Fail(policy, auth.ReasonSecondFactor, client, now), false
		}
		events, err := att.Succeed(client, now)
		if err != nil {
			return att.Fail(policy, auth.ReasonLocked, client, now), false
		}
		return events, true
	})
	switch {
	case err != nil:
		return LoginResult{}, fmt.Errorf("second factor: %w", err)
	case !ok:
		return LoginResult{}, ErrInvalidCredentials
	}
	return LoginResult{UserID: userID, DecidedAt: decidedAt, Position: pos}, nil
}

// record is the race-free append loop of a login attempt: load the
// attempts, decide, append at exactly the loaded revision, and on a
// concurrent write load and decide again. ok is decide's verdict on the
// round that was appended. When every round loses the race the attempt
// is refused: an attempt that could not be counted must not succeed.
//
// Attempts on one user from this process take turns (see turns), so they
// race only with other processes.
func (a *Auth) record(ctx context.Context, md Metadata, id uuid.UUID, decide func(*auth.Attempts, time.Time) ([]domain.Event, bool)) (eventstore.Position, bool, error) {
	release, err := a.turns.take(ctx, id)
	if err != nil {
		return eventstore.Position{}, false, err
	}
	defer release()
	stream := auth.Stream(id)
	for attempt := 0; ; attempt++ {
		att, rev, err := a.attempts(ctx, id)
		if err != nil {
			return eventstore.Position{}, false, err
		}
		events, ok := decide(att, a.s.now())
		if len(events) == 0 {
			return eventstore.Position{}, ok, nil
		}
		res, err := a.s.append(ctx, stream, expectedAt(rev), md, events)
		if eventstore.IsWrongExpectedRevision(err) {
			if attempt < a.retries {
				if err := pause(ctx, attempt); err != nil {
					return eventstore.Position{}, false, err
				}
				continue
			}
			return eventstore.Position{}, false, nil
		}
		if err != nil {
			return eventstore.Position{}, false, err
		}
		return res.Position, ok, nil
	}
}

// recordUnknown records a login refused because nobody has the address,
// and answers ErrInvalidCredentials. The append makes the refusal cost
// what refusing a known account costs (reading the lockout policy and one
// append), so that response times do not tell which addresses exist. The
// metadata keeps no client address or User-Agent: the event belongs to no
// one whose data could be erased.
func (a *Auth) recordUnknown(ctx context.Context, md Metadata, c auth.ClientInfo) error {
	if _, _, err := a.LockoutPolicy(ctx); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if md.ActorID == "" {
		md.ActorID, md.ActorKind = ActorSystem, ActorSystem
	}
	md.ClientIP, md.UserAgent = "", ""
	e := auth.NewUnknownAccountLoginFailed(boundClient(c), a.s.now())
	if _, err := a.s.append(ctx, auth.UnknownAccountStream, eventstore.Any(), md, []domain.Event{e}); err != nil {
		return fmt.Errorf("login: record the attempt on an unknown address: %w", err)
	}
	return ErrInvalidCredentials
}

// account finds the user an email address belongs to. It answers nil when
// the address is malformed or nobody has it, and otherwise the reason the
// user cannot log in, if any. A soft-deleted user has released the address,
// so the last user who reserved it is looked at too: if that user is
// deleted and still has it, the attempt is recorded for them.
func (a *Auth) account(ctx context.Context, email string) (*user.User, auth.FailureReason, error) {
	normalized, err := user.NormalizeEmail(email)
	if err != nil {
		return nil, "", nil
	}
	key := user.EmailKey(normalized)
	history, _, err := a.s.load(ctx, user.ReservationStream(key))
	if err != nil {
		return nil, "", fmt.Errorf("find the holder of an email address: %w", err)
	}
	holder, held := user.LoadReservation(history...).Holder()
	if !held {
		holder = lastReserver(history)
	}
	if holder == uuid.Nil {
		return nil, "", nil
	}
	u, err := a.user(ctx, holder)
	if err != nil {
		return nil, "", err
	}
	switch {
	case !u.Exists() || user.EmailKey(u.Email()) != key:
		return nil, "", nil // a stale reservation or a former address
	case u.Deleted():
		return u, auth.ReasonDeleted, nil
	case !held:
		return nil, "", nil
	case u.Status() == user.StatusSuspended:
		return u, auth.ReasonSuspended, nil
	case u.Status() == user.StatusUnverified:
		return u, auth.ReasonUnverified, nil
	case u.PasswordHash() == "" || u.Status() == user.StatusInvited:
		return u, auth.ReasonNoPassword, nil
	}
	return u, "", nil
}

// lastReserver is the user who reserved the address last, released or
// not; uuid.Nil if nobody ever did.
func lastReserver(history []domain.Event) uuid.UUID {
	var id uuid.UUID
	for _, e := range history {
		if r, ok := e.(user.EmailReserved); ok {
			id = r.UserID
		}
	}
	return id
}

// verifyDummy spends the work of a password check on dummyHash. Only a
// failure of the service (such as the context ending while waiting for a
// hashing slot) is an error.
func (a *Auth) verifyDummy(ctx context.Context, pw string) error {
	if _, err := a.verifier.Verify(ctx, pw, dummyHash); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("login: %w", ctxErr)
		}
		return fmt.Errorf("login: verify against the dummy hash: %w", err)
	}
	return nil
}

// boundPassword caps what argon2 is fed. A password longer than any that
// can be set (maxPasswordLength) matches no account; it is cut to a
// bounded number of bytes so that verifying it costs what a normal one
// does, and tooLong says it must fail.
func boundPassword(pw string) (bounded string, tooLong bool) {
	if utf8.RuneCountInString(pw) <= maxPasswordLength {
		return pw, false
	}
	return cutUTF8(pw, maxPasswordLength*utf8.UTFMax), true
}

// boundClient cuts what the client sent to the sizes an event keeps.
func boundClient(c auth.ClientInfo) auth.ClientInfo {
	return auth.ClientInfo{
		IP:        cutUTF8(c.IP, maxIPBytes),
		UserAgent: cutUTF8(c.UserAgent, auth.MaxUserAgentLength),
		Device:    cutUTF8(c.Device, maxClientFactBytes),
		Browser:   cutUTF8(c.Browser, maxClientFactBytes),
		OS:        cutUTF8(c.OS, maxClientFactBytes),
	}
}

// cutUTF8 returns at most max bytes of s without splitting a UTF-8
// sequence.
func cutUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// loginMetadata makes the user the actor of their own login unless md
// names another user, and fills the client from the attempt where md has
// none. A system actor (what an unauthenticated request carries, see
// System) is replaced too: a login is always somebody's.
func loginMetadata(md Metadata, id uuid.UUID, c auth.ClientInfo) Metadata {
	if md.ActorID == "" || md.ActorKind == ActorSystem || md.ActorID == ActorSystem {
		md.ActorID, md.ActorKind = id.String(), ActorUser
	}
	if md.ClientIP == "" {
		md.ClientIP = c.IP
	}
	if md.UserAgent == "" {
		md.UserAgent = c.UserAgent
	}
	return md
}

// ClearLockout lifts a user's lockout and forgets their failures and past
// locks (an admin action; md names the admin). An unknown user is
// user.ErrNoUser, a deleted one user.ErrDeleted. When there is nothing to
// clear, nothing is appended and Result.Appended is false.
func (a *Auth) ClearLockout(ctx context.Context, md Metadata, userID uuid.UUID) (Result, error) {
	u, err := a.user(ctx, userID)
	if err != nil {
		return Result{}, fmt.Errorf("clear lockout: %w", err)
	}
	switch {
	case !u.Exists():
		return Result{}, user.ErrNoUser
	case u.Deleted():
		return Result{}, user.ErrDeleted
	}
	return a.changeAttempts(ctx, md, userID, "clear lockout", (*auth.Attempts).Clear)
}

// ExpireLock records that the user's temporary lock has run out, if it
// has (see auth.Attempts.Expire); Appended is false otherwise. The lock
// sweeper calls it for users the user list still shows as locked.
func (a *Auth) ExpireLock(ctx context.Context, md Metadata, userID uuid.UUID) (Result, error) {
	return a.changeAttempts(ctx, md, userID, "expire lock", (*auth.Attempts).Expire)
}

// changeAttempts appends what decide makes of the user's login attempts
// now (see retryDecide); op prefixes the errors of the store.
func (a *Auth) changeAttempts(ctx context.Context, md Metadata, userID uuid.UUID, op string, decide func(*auth.Attempts, time.Time) []domain.Event) (Result, error) {
	res, err := retryDecide(ctx, a.s, md, decision[*auth.Attempts]{
		stream: auth.Stream(userID), what: "the user's login state", retries: a.retries,
		load: func(ctx context.Context) (*auth.Attempts, int64, error) {
			att, rev, err := a.attempts(ctx, userID)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", op, err)
			}
			return att, rev, nil
		},
		decide: func(att *auth.Attempts) ([]domain.Event, error) {
			return decide(att, a.s.now()), nil
		},
		op: op,
	})
	if err != nil {
		return Result{}, err
	}
	res.ID = userID
	return res, nil
}

// LockoutPolicy returns the policy in force and the revision of its
// stream (the ETag for SetLockoutPolicy), eventstore.NoRevision while the
// default has never been changed.
func (a *Auth) LockoutPolicy(ctx context.Context) (auth.Policy, int64, error) {
	s, rev, err := a.policySettings(ctx)
	if err != nil {
		return auth.Policy{}, 0, err
	}
	return s.Current(), rev, nil
}

// SetLockoutPolicy replaces the lockout policy. An invalid policy is a
// *domain.ValidationError naming every bad field; the policy in force
// changes nothing (Appended false). ifMatch, when set, is the revision the
// caller last saw; a policy changed since, or never set, answers
// domain.ErrPreconditionFailed.
func (a *Auth) SetLockoutPolicy(ctx context.Context, md Metadata, ifMatch *uint64, p auth.Policy) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	return retryDecide(ctx, a.s, md, decision[*auth.PolicySettings]{
		stream: auth.PolicyStream, what: "the lockout policy", ifMatch: ifMatch, retries: a.retries,
		load: a.policySettings,
		decide: func(s *auth.PolicySettings) ([]domain.Event, error) {
			return s.Set(p, a.s.now())
		},
		op: "set lockout policy",
	})
}

// LockState is a user's login state as an admin sees it.
type LockState struct {
	Locked bool
	// Until is the end of a temporary lock; zero when not locked or
	// locked for good.
	Until     time.Time
	Permanent bool
	// RecentFailures counts the failures within the policy's window that
	// count toward the next lock.
	RecentFailures int
}

// LockState returns the user's login state now, read from the event store
// (not a read model), so it is exact. An unknown user is user.ErrNoUser.
func (a *Auth) LockState(ctx context.Context, userID uuid.UUID) (LockState, error) {
	u, err := a.user(ctx, userID)
	if err != nil {
		return LockState{}, fmt.Errorf("lock state: %w", err)
	}
	if !u.Exists() {
		return LockState{}, user.ErrNoUser
	}
	policy, _, err := a.LockoutPolicy(ctx)
	if err != nil {
		return LockState{}, fmt.Errorf("lock state: %w", err)
	}
	att, _, err := a.attempts(ctx, userID)
	if err != nil {
		return LockState{}, fmt.Errorf("lock state: %w", err)
	}
	now := a.s.now()
	var st LockState
	st.Locked, st.Until, st.Permanent = att.Locked(now)
	st.RecentFailures = att.RecentFailures(policy.Window, now)
	return st, nil
}

// user folds a user's profile stream.
func (a *Auth) user(ctx context.Context, id uuid.UUID) (*user.User, error) {
	u, _, err := loadFolded(ctx, a.s, user.Stream(id), user.Load, "load user %s", id)
	return u, err
}

// attempts folds a user's auth stream; rev is NoRevision while it is empty.
//
// Only the events since the last successful login or admin clear matter
// (auth.StartsAfresh), so the stream is read backwards to there: the cost
// of a login does not grow with the account's history.
func (a *Auth) attempts(ctx context.Context, id uuid.UUID) (*auth.Attempts, int64, error) {
	events, rev, err := a.s.loadSince(ctx, auth.Stream(id), auth.StartsAfresh)
	var att *auth.Attempts
	if err == nil {
		att, err = auth.LoadAttempts(id, events...)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load login attempts of user %s: %w", id, err)
	}
	return att, rev, nil
}

// policySettings folds the lockout policy stream.
func (a *Auth) policySettings(ctx context.Context) (*auth.PolicySettings, int64, error) {
	return loadFolded(ctx, a.s, auth.PolicyStream, auth.LoadPolicySettings, "load lockout policy")
}

// turns makes the login attempts on one user within this process record
// one after the other.
//
// The append loop is correct without it: every attempt is decided on the
// revision it appends at. But optimistic concurrency is unfair under heavy
// contention: with a hundred attempts on one account at once (a password
// spraying tool does that), each round has one winner and everybody else
// re-reads and retries, so the work grows with the square of the attempts
// and the unluckiest ones run out of retries and go uncounted. Queueing
// them here leaves the store's check to settle only the races between
// processes. Only the short record step waits its turn; password hashing
// runs in parallel before it.
//
// The zero value is ready to use. Entries live only while someone holds or
// waits for the user's turn.
type turns struct {
	mu sync.Mutex
	m  map[uuid.UUID]*turn
}

type turn struct {
	token chan struct{} // capacity 1: whoever put the token in has the turn
	refs  int           // holders and waiters
}

// take waits for id's turn, or for ctx to end. The caller must call
// release when done.
func (t *turns) take(ctx context.Context, id uuid.UUID) (release func(), err error) {
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[uuid.UUID]*turn)
	}
	tr := t.m[id]
	if tr == nil {
		tr = &turn{token: make(chan struct{}, 1)}
		t.m[id] = tr
	}
	tr.refs++
	t.mu.Unlock()

	select {
	case tr.token <- struct{}{}:
		return func() {
			<-tr.token
			t.leave(id, tr)
		}, nil
	case <-ctx.Done():
		t.leave(id, tr)
		return nil, ctx.Err()
	}
}

func (t *turns) leave(id uuid.UUID, tr *turn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr.refs--
	if tr.refs == 0 {
		delete(t.m, id)
	}
}
