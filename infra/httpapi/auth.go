package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
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
}

// authAPI serves login, logout, /v1/me and the authenticate middleware.
type authAPI struct {
	deps      Deps
	agents    *useragent.Parser
	catalogue CatalogueSource
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
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

var errInactive = errors.New("the session's user is not active")

func (a authAPI) principal(ctx context.Context, s session.Session) (*Principal, error) {
	u, _, err := a.deps.UserLoader.Load(ctx, s.UserID)
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
	p.SessionID, p.SessionCreated = s.ID, s.Created
	return p, nil
}

func (a authAPI) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	c := a.agents.Parse(ua)
	md := metadata(r)
	res, err := a.deps.Auth.Login(r.Context(), md, commands.LoginAttempt{
		Email: req.Email, Password: req.Password,
		Client: auth.ClientInfo{IP: md.ClientIP, UserAgent: ua, Device: c.Device, Browser: c.Browser, OS: c.OS},
	})
	if errors.Is(err, commands.ErrInvalidCredentials) {
		unauthorized(w, r, "the email or password is wrong")
		return
	}
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	token, s, err := a.deps.Sessions.Create(r.Context(), res.UserID, res.DecidedAt, session.Info{IP: md.ClientIP, UserAgent: ua})
	if errors.Is(err, session.ErrRevoked) {
		unauthorized(w, r, "the email or password is wrong")
		return
	}
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, loginResponse{
		Token: token, TokenType: "Bearer", UserID: res.UserID.String(), SessionID: s.ID,
		ExpiresAt: s.ExpiresAt.UTC(), IdleExpiresAt: s.IdleExpiresAt.UTC(),
	})
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
	UserID       string           `json:"user_id"`
	SessionID    string           `json:"session_id"`
	OrgID        string           `json:"organization_id"`
	SystemAdmin  bool             `json:"system_admin"`
	Permissions  []role.Effective `json:"permissions"`
	SessionSince time.Time        `json:"session_created_at"`
}

func (a authAPI) me(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	writeJSON(w, http.StatusOK, meResponse{
		UserID: p.UserID.String(), SessionID: p.SessionID, OrgID: p.OrgID, SystemAdmin: p.Global,
		Permissions: p.Effective, SessionSince: p.SessionCreated.UTC(),
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
