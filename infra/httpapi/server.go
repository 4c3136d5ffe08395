// Package httpapi is the HTTP edge of the service: routes, middleware and
// the mapping of errors to RFC 9457 problem+json responses.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// ReadinessCheck reports whether one dependency can serve requests.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are what the HTTP layer needs from the rest of the service.
type Deps struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Ready    []ReadinessCheck
	// Users handles the user commands and Queries the user reads; with
	// either nil the users API is left out.
	Users   UserCommands
	Queries UserQueries
	// Waiter and UsersProjector serve min_position (read-your-writes);
	// MaxWait bounds the wait (default 2s).
	Waiter         PositionWaiter
	UsersProjector string
	MaxWait        time.Duration
	// Auth logs users in and keeps lockouts; Sessions holds bearer
	// sessions; UserLoader reads users from the write side for
	// authorization; Catalogue resolves roles.
	Auth         AuthCommands
	Sessions     Sessions
	UserLoader   UserLoader
	Catalogue    CatalogueSource
	LoginHistory LoginHistory
	Membership   MembershipCommands
	Roles        RoleCommands
	RoleQueries  RoleQueries
	Orgs         OrgCommands
	OrgLoader    OrgLoader
	// SecondFactors handles TOTP; Challenges keeps the short-lived login
	// challenges between the password and the code. Both or neither.
	SecondFactors SecondFactors
	Challenges    Sessions
	// Passwords keeps the password policy; with it nil its routes are left out.
	Passwords PasswordPolicies
	// CatalogueTTL lets authentication reuse the role catalogue this long
	// (0: read it on every request).
	CatalogueTTL time.Duration
	OrgQueries   OrgQueries
	// Redis keeps Idempotency-Key responses under Prefix.
	Redis  redis.UniversalClient
	Prefix string
	// Limiter rate limits logins by LoginLimits (zero rules take the
	// defaults documented on LoginLimits); nil means no limits.
	Limiter     RateLimiter
	LoginLimits LoginLimits
	// Onboarding serves the emailed-link flows, SignUps self-registration
	// and Registration its settings; with Onboarding nil those routes
	// are left out. PublicLimits rate limit their public endpoints.
	Onboarding   OnboardingCommands
	SignUps      SignUpCommands
	Registration RegistrationSettings
	PublicLimits PublicLimits
}

// NewServer returns the service's HTTP handler with every route and the
// common middleware (request IDs, panic recovery, access logs, metrics).
func NewServer(deps Deps) http.Handler {
	r := mux.NewRouter()
	m := newHTTPMetrics(deps.Registry)
	addRoutes(r, deps)
	r.Use(m.instrument)
	r.NotFoundHandler = m.instrument(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, req, problem{Type: "not-found", Title: "Not Found", Status: http.StatusNotFound, Detail: "no route matches " + req.URL.Path})
	}))
	r.MethodNotAllowedHandler = m.instrument(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, req, problem{Type: "method-not-allowed", Title: "Method Not Allowed", Status: http.StatusMethodNotAllowed, Detail: req.Method + " is not allowed on " + req.URL.Path})
	}))
	var h http.Handler = r
	h = accessLog(deps.Logger, h)
	h = recoverPanics(deps.Logger, h)
	h = requestID(h)
	return h
}

func (d Deps) maxWait() time.Duration {
	if d.MaxWait <= 0 {
		return 2 * time.Second
	}
	return d.MaxWait
}
