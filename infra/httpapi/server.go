// Package httpapi is the HTTP edge of the service: routes, middleware and
// the mapping of errors to RFC 9457 problem+json responses.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
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
	Auth       AuthCommands
	Sessions   Sessions
	UserLoader UserLoader
	Catalogue  CatalogueSource
	// RoleLookup resolves role keys from the event store for the checks
	// that stop a principal from granting what it lacks; required with
	// Users.
	RoleLookup   RoleLookup
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
	// gorilla/mux reports a method mismatch as "not found" when the path
	// is under a subrouter and more than one route shares its prefix, so
	// both answers are decided here: 405 with Allow when some method has
	// a route for the path, else 404.
	noRoute := m.instrument(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		allowed := allowedMethods(r, req)
		if len(allowed) == 0 {
			writeProblem(w, req, problem{Type: "not-found", Title: "Not Found", Status: http.StatusNotFound, Detail: "no route matches " + req.URL.Path})
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(w, req, problem{Type: "method-not-allowed", Title: "Method Not Allowed", Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s is not allowed on %s (allowed: %s)", req.Method, req.URL.Path, strings.Join(allowed, ", "))})
	}))
	r.NotFoundHandler = noRoute
	r.MethodNotAllowedHandler = noRoute
	var h http.Handler = headAsGet(r)
	h = strictQuery(deps.Logger, h)
	h = accessLog(deps.Logger, h)
	h = recoverPanics(deps.Logger, h)
	h = requestID(h)
	return h
}

// headAsGet serves a HEAD request on a path that has a GET route but no
// HEAD route as that GET (RFC 9110 9.3.2: HEAD is GET without the body);
// the server drops what the handler writes to the body of a HEAD. It runs
// before the router, so the request is routed, and counted, once.
func headAsGet(root *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodHead {
			var match mux.RouteMatch
			if !root.Match(req, &match) || match.MatchErr != nil {
				get := req.Clone(req.Context())
				get.Method = http.MethodGet
				var getMatch mux.RouteMatch
				if root.Match(get, &getMatch) && getMatch.MatchErr == nil && getMatch.Route != nil {
					req = get
				}
			}
		}
		root.ServeHTTP(w, req)
	})
}

// allowedMethods lists the methods that have a route for req's path.
func allowedMethods(root *mux.Router, req *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if method == req.Method {
			continue
		}
		probe := req.Clone(req.Context())
		probe.Method = method
		var match mux.RouteMatch
		if root.Match(probe, &match) && match.MatchErr == nil && match.Route != nil {
			out = append(out, method)
		}
	}
	if slices.Contains(out, http.MethodGet) && !slices.Contains(out, http.MethodHead) && req.Method != http.MethodHead {
		out = slices.Insert(out, 1, http.MethodHead) // answered as GET, above
	}
	return out
}

func (d Deps) maxWait() time.Duration {
	if d.MaxWait <= 0 {
		return 2 * time.Second
	}
	return d.MaxWait
}
