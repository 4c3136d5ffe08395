package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/ratelimit"
	"github.com/clarynext/usermgmt/infra/session"
	"github.com/clarynext/usermgmt/infra/useragent"
)

// Sessions keeps bearer sessions.
type Sessions interface {
	Create(ctx context.Context, userID uuid.UUID, decidedAt time.Time, info session.Info) (string, session.Session, error)
	Lookup(ctx context.Context, token string) (session.Session, error)
	Revoke(ctx context.Context, token string) error
	RevokeUser(ctx context.Context, userID uuid.UUID) (int, error)
}

// Authenticator checks passwords and records login attempts.
type Authenticator interface {
	Login(ctx context.Context, md commands.Metadata, in commands.LoginAttempt) (commands.LoginResult, error)
}

// RateLimiter counts an event for key under rule and says whether it is
// within the limit (see ratelimit.Limiter).
type RateLimiter interface {
	Allow(ctx context.Context, rule ratelimit.Rule, key string) (ratelimit.Decision, error)
}

// LoginLimits are the rate limits on POST /v1/auth/login, checked before
// the password is, so a flood of attempts costs no password hashing and
// records nothing. A rule left zero takes its default:
//
//   - PerIP, per client IP: 20 attempts a minute, bursts of 20
//     (rule name "login-ip").
//   - PerAccount, per email (normalized, lower-cased, hashed): 10
//     attempts a minute, bursts of 10 (rule name "login-account").
//
// The per-IP limit is checked first; an attempt it refuses does not count
// against the account.
type LoginLimits struct {
	PerIP      ratelimit.Rule
	PerAccount ratelimit.Rule
}

// withDefaults fills in the rules left zero.
func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerIP == (ratelimit.Rule{}) {
		l.PerIP = ratelimit.Rule{Name: "login-ip", Rate: 20, Period: time.Minute, Burst: 20}
	}
	if l.PerAccount == (ratelimit.Rule{}) {
		l.PerAccount = ratelimit.Rule{Name: "login-account", Rate: 10, Period: time.Minute, Burst: 10}
	}
	return l
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token         string    `json:"token"`
	TokenType     string    `json:"token_type"`
	UserID        string    `json:"user_id"`
	SessionID     string    `json:"session_id"`
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
	// PasswordExpired: the session is restricted to changing the password
	// (PUT /v1/me/password); everything else answers 403 until then.
	PasswordExpired bool `json:"password_expired"`
	// SecondFactorEnrollmentRequired: an administrator without a second
	// factor under a policy that requires one; the session may only enrol.
	SecondFactorEnrollmentRequired bool `json:"second_factor_enrollment_required"`
}

// authAPI serves login, logout, /v1/me and the authenticate middleware.
type authAPI struct {
	deps      Deps
	agents    *useragent.Parser
	catalogue CatalogueSource
	// actors loads the acting user of every authenticated request and of
	// every login, from the write side (see userCache).
	actors *userCache
}

func unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="usermgmt"`)
	writeProblem(w, r, problem{Type: "unauthenticated", Status: http.StatusUnauthorized, Detail: detail})
}

// authenticate resolves the bearer token into a Principal, or answers 401.
// The acting user is loaded from the event store on every request, so a
// suspension, deletion or password change takes effect at once even if the
// session revocation that follows it was lost in a crash.
func (a authAPI) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, token, found := strings.Cut(h, " ")
		switch {
		case h == "":
			unauthorized(w, r, "this needs a bearer token: log in with POST /v1/auth/login")
			return
		case !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "":
			unauthorized(w, r, `the Authorization header must be "Bearer <token>"`)
			return
		}
		s, err := a.deps.Sessions.Lookup(r.Context(), strings.TrimSpace(token))
		if errors.Is(err, session.ErrInvalid) {
			unauthorized(w, r, "the token is invalid, expired or revoked; log in again")
			return
		}
		if err != nil {
			respondError(a.deps.Logger, w, r, err)
			return
		}
		p, err := a.principal(r.Context(), s)
		if errors.Is(err, errInactive) {
			unauthorized(w, r, "the token is invalid, expired or revoked; log in again")
			return
		}
		if err != nil {
			respondError(a.deps.Logger, w, r, err)
			return
		}
		if s.Restricted {
			tmpl := ""
			if route := mux.CurrentRoute(r); route != nil {
				tmpl, _ = route.GetPathTemplate()
			}
			if !restrictedRoutes[r.Method+" "+tmpl] {
				writeProblem(w, r, problem{Type: "session-restricted", Status: http.StatusForbidden,
					Detail: "this session may only change an expired or temporary password (PUT /v1/me/password) or enrol the second factor administrators need (POST /v1/me/second-factor/totp); then log in again"})
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

var errInactive = errors.New("the session's user is not active")

func (a authAPI) principal(ctx context.Context, s session.Session) (*Principal, error) {
	u, _, err := a.actors.Load(ctx, s.UserID)
	if err != nil {
		return nil, fmt.Errorf("load principal: %w", err)
	}
	if !u.Exists() || u.Status() != user.StatusActive || u.PasswordChangedAt().After(s.Created) {
		return nil, errInactive
	}
	cat, err := a.catalogue.Catalogue(ctx)
	if err != nil {
		return nil, fmt.Errorf("load role catalogue: %w", err)
	}
	grants, err := liveGrants(ctx, a.deps.OrgLoader, u)
	if err != nil {
		return nil, err
	}
	p := newPrincipal(u, grants, cat)
	p.SessionID, p.SessionCreated, p.Restricted = s.ID, s.Created, s.Restricted
	return p, nil
}

func (a authAPI) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	// A missing field is the client's mistake whoever the account is, so
	// saying so reveals nothing; it costs no password check and is no
	// failed attempt.
	var missing []domain.FieldError
	for _, f := range []struct{ name, value string }{{"email", req.Email}, {"password", req.Password}} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, domain.FieldError{Field: f.name, Code: domain.CodeRequired, Message: "is required"})
		}
	}
	if len(missing) > 0 {
		respondError(a.deps.Logger, w, r, badRequest("validation-error", "a login needs an email and a password", missing...))
		return
	}
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	md := metadata(r)
	if !a.withinLoginLimits(w, r, md.ClientIP, req.Email) {
		return
	}
	c := a.agents.Parse(ua)
	res, err := a.deps.Auth.Login(r.Context(), md, commands.LoginAttempt{
		Email: req.Email, Password: req.Password,
		Client:       auth.ClientInfo{IP: md.ClientIP, UserAgent: ua, Device: c.Device, Browser: c.Browser, OS: c.OS},
		SecondFactor: a.secondFactorRequired(),
	})
	if errors.Is(err, commands.ErrInvalidCredentials) {
		unauthorized(w, r, "the email or password is wrong")
		return
	}
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	info := session.Info{IP: md.ClientIP, UserAgent: ua}
	if res.SecondFactorRequired {
		a.challenge(w, r, res, info)
		return
	}
	a.startSession(w, r, res, info)
}

// startSession opens the session of a successful login. It is restricted
// (see restrictedRoutes) when the password expired or is temporary, or when
// the two-factor policy makes this administrator enrol a second factor.
func (a authAPI) startSession(w http.ResponseWriter, r *http.Request, res commands.LoginResult, info session.Info) {
	u, _, err := a.actors.Load(r.Context(), res.UserID)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	if u.Status() != user.StatusActive || u.PasswordChangedAt().After(res.DecidedAt) {
		// Suspended, deleted or its password changed since the decision
		// (a second-factor step finishing late).
		unauthorized(w, r, "the email or password is wrong")
		return
	}
	expired, err := a.passwordExpired(r.Context(), u)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	enrol, err := a.enrolmentRequired(r.Context(), u)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	info.Restricted = expired || enrol
	token, s, ok := a.open(w, r, a.deps.Sessions, res, info)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{
		Token: token, TokenType: "Bearer", UserID: res.UserID.String(), SessionID: s.ID,
		ExpiresAt: s.ExpiresAt.UTC(), IdleExpiresAt: s.IdleExpiresAt.UTC(),
		PasswordExpired: expired, SecondFactorEnrollmentRequired: enrol,
	})
}

// open creates a session (or a second-factor challenge) in store for a
// decided login, answering the failure itself (ok false). A login decided
// before the user's sessions were revoked fails like a wrong password.
func (a authAPI) open(w http.ResponseWriter, r *http.Request, store Sessions, res commands.LoginResult, info session.Info) (string, session.Session, bool) {
	token, s, err := store.Create(r.Context(), res.UserID, res.DecidedAt, info)
	if errors.Is(err, session.ErrRevoked) {
		unauthorized(w, r, "the email or password is wrong")
		return "", session.Session{}, false
	}
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return "", session.Session{}, false
	}
	w.Header().Set("Cache-Control", "no-store")
	return token, s, true
}

// withinLoginLimits counts a login attempt against the per-IP and
// per-account limits. Over a limit it answers 429 and returns false; the
// detail names the limit but never the email.
func (a authAPI) withinLoginLimits(w http.ResponseWriter, r *http.Request, ip, email string) bool {
	limits := a.deps.LoginLimits.withDefaults()
	return withinLimits(a.deps, w, r, []limitCheck{
		{limits.PerIP, ipKey(ip), "too many login attempts from this IP address"},
		{limits.PerAccount, accountKey(email), "too many login attempts for this account"},
	})
}

// ipKey is the per-IP rate limit key of a client address. An IPv6
// address counts by its /64, the block one subscriber usually holds, so
// hopping between addresses of one's own block gains nothing.
func ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// accountKey is the per-account rate limit key of an email: the form under
// which accounts are unique, so case and spacing variants share a budget.
// An address that does not normalize is keyed as typed, lower-cased (the
// limiter hashes keys, so none is stored in clear).
func accountKey(email string) string {
	if n, err := user.NormalizeEmail(email); err == nil {
		return user.EmailKey(n)
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// passwordExpired reports whether the user must change its password before
// anything else: a temporary password, or one older than the policy allows.
func (a authAPI) passwordExpired(ctx context.Context, u *user.User) (bool, error) {
	if u.MustChangePassword() || a.deps.Passwords == nil {
		return u.MustChangePassword(), nil
	}
	p, _, err := a.deps.Passwords.PasswordPolicy(ctx)
	if err != nil {
		return false, err
	}
	return commands.PasswordExpired(u, p, time.Now()), nil
}

// restrictedRoutes are what a restricted session may do: change an expired
// or temporary password, or enrol a second factor the policy requires.
var restrictedRoutes = map[string]bool{
	"GET /v1/me":                             true,
	"PUT /v1/me/password":                    true,
	"POST /v1/me/second-factor/totp":         true,
	"POST /v1/me/second-factor/totp/confirm": true,
	"POST /v1/auth/logout":                   true,
}

func (a authAPI) logout(w http.ResponseWriter, r *http.Request) {
	_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if err := a.deps.Sessions.Revoke(r.Context(), strings.TrimSpace(token)); err != nil && !errors.Is(err, session.ErrInvalid) {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type meResponse struct {
	UserID string `json:"user_id"`
	// SecondFactorEnabled and SecondFactorRecommended: two-factor is
	// encouraged for everyone who has not enrolled.
	SecondFactorEnabled     bool             `json:"second_factor_enabled"`
	SecondFactorRecommended bool             `json:"second_factor_recommended"`
	PasswordExpired         bool             `json:"password_expired"`
	SessionID               string           `json:"session_id"`
	OrgID                   string           `json:"organization_id"`
	SystemAdmin             bool             `json:"system_admin"`
	Permissions             []role.Effective `json:"permissions"`
	SessionSince            time.Time        `json:"session_created_at"`
}

func (a authAPI) me(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	enrolled := false
	if a.deps.SecondFactors != nil {
		var err error
		if enrolled, err = a.deps.SecondFactors.Status(r.Context(), p.UserID); err != nil {
			respondError(a.deps.Logger, w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, meResponse{
		SecondFactorEnabled: enrolled, SecondFactorRecommended: !enrolled,
		UserID: p.UserID.String(), SessionID: p.SessionID, OrgID: p.OrgID, SystemAdmin: p.Global,
		Permissions: p.Effective, SessionSince: p.SessionCreated.UTC(), PasswordExpired: p.Restricted,
	})
}

// revokeSessions ends every session of a user after a command that must
// log it out (suspension, deletion, password change). A failure is logged,
// not returned: the command happened, and authenticate refuses the user's
// sessions anyway because it checks the user's state on every request.
func revokeSessions(ctx context.Context, deps Deps, id uuid.UUID) {
	if _, err := deps.Sessions.RevokeUser(ctx, id); err != nil {
		deps.Logger.WarnContext(ctx, "revoke sessions", "user_id", id.String(), "error", err)
	}
}
