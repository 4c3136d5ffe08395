package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/crypto/sealbox"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/httpapi"
	"github.com/clarynext/usermgmt/infra/lockexpiry"
	"github.com/clarynext/usermgmt/infra/ratelimit"
	"github.com/clarynext/usermgmt/infra/session"
	"github.com/clarynext/usermgmt/projections"
	loginhistoryproj "github.com/clarynext/usermgmt/projections/loginhistory"
	"github.com/clarynext/usermgmt/projections/orglist"
	"github.com/clarynext/usermgmt/projections/rolecatalogue"
	"github.com/clarynext/usermgmt/projections/userlist"
	"github.com/clarynext/usermgmt/readmodels/loginhistory"
	"github.com/clarynext/usermgmt/readmodels/orgs"
	"github.com/clarynext/usermgmt/readmodels/redistest"
	"github.com/clarynext/usermgmt/readmodels/roles"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// testPassword is the password of every user the tests log in as.
const testPassword = "correct horse battery staple"

// stack is the whole service over real parts: the embedded event store on
// disk, every command handler, every projector running against the real
// Redis, and the HTTP server.
type stack struct {
	t         *testing.T
	srv       *httptest.Server
	store     *embedded.Store
	rdb       redis.UniversalClient
	prefix    string
	users     *commands.Users
	passwords *commands.Passwords
	hasher    *password.Hasher
	mfa       *commands.MFA
	auth      *commands.Auth
	roles     *commands.Roles
	orgs      *commands.Orgs
	sessions  *session.Store
	reads     *users.Store
	waiter    *projections.Waiter
	// links mints link tokens as the mail outbox does; registrations
	// keeps the self-registration settings.
	links         *linktoken.Minter
	registrations *commands.Registrations
}

// newStack builds the stack; opts adjust the HTTP layer's Deps before the
// server starts. Logins are rate limited generously unless an opt sets
// tighter LoginLimits.
func newStack(t *testing.T, opts ...func(*httpapi.Deps)) *stack {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rdb, prefix := redistest.Real(t)
	params := password.OWASP
	params.Memory = 1024
	hasher := password.NewHasher(params, 2)
	s := &stack{t: t, store: store, rdb: rdb, prefix: prefix, hasher: hasher}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s.roles, err = commands.NewRoles(commands.RolesConfig{Store: store})
	must(err)
	common, err := password.NewCommonList()
	must(err)
	s.passwords, err = commands.NewPasswords(commands.PasswordsConfig{Store: store, Verifier: hasher, Common: common})
	must(err)
	s.links, err = linktoken.New([]byte(strings.Repeat("k", 32)))
	must(err)
	s.users, err = commands.NewUsers(commands.UsersConfig{Store: store, Hasher: hasher, Roles: s.roles, CheckOrgs: true, Passwords: s.passwords, Links: s.links})
	must(err)
	s.registrations, err = commands.NewRegistrations(commands.RegistrationsConfig{Store: store})
	must(err)
	signUps, err := commands.NewSignUps(s.registrations, s.users)
	must(err)
	s.auth, err = commands.NewAuth(commands.AuthConfig{Store: store, Verifier: hasher})
	must(err)
	s.orgs, err = commands.NewOrgs(commands.OrgsConfig{Store: store})
	must(err)
	s.sessions = session.New(rdb, prefix, session.Config{})
	key, err := sealbox.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "secrets.key"))
	must(err)
	box, err := sealbox.New(key)
	must(err)
	s.mfa, err = commands.NewMFA(commands.MFAConfig{Store: store, Box: box, Issuer: "ClaryNext test", Hasher: hasher})
	must(err)
	s.reads = users.New(rdb, prefix+"users:")
	roleReads := roles.New(rdb, prefix+"roles:")
	orgReads := orgs.New(rdb, prefix+"orgs:")
	history := loginhistory.New(rdb, prefix+"logins:")

	var projectors []projections.Projector
	for _, build := range []func() (projections.Projector, error){
		func() (projections.Projector, error) { return userlist.New(s.reads, nil) },
		func() (projections.Projector, error) { return rolecatalogue.New(roleReads, nil) },
		func() (projections.Projector, error) { return orglist.New(orgReads, nil) },
		func() (projections.Projector, error) { return loginhistoryproj.New(history, nil) },
	} {
		p, err := build()
		must(err)
		projectors = append(projectors, p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, p := range projectors {
		r, err := projections.NewRunner(projections.Config{Source: store, Redis: rdb, Prefix: prefix}, p)
		must(err)
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Run(ctx) }()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		lockexpiry.Run(ctx, s.reads, s.auth, 50*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	s.waiter = projections.NewWaiter(rdb, prefix)
	limiter, err := ratelimit.New(rdb, prefix+"ratelimit:")
	must(err)
	deps := httpapi.Deps{
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:       prometheus.NewRegistry(),
		Users:          s.users,
		Queries:        s.reads,
		Waiter:         s.waiter,
		UsersProjector: userlist.Name,
		MaxWait:        2 * time.Second,
		Redis:          rdb,
		Prefix:         prefix,
		Auth:           s.auth,
		Sessions:       s.sessions,
		UserLoader:     s.users,
		Catalogue:      roleReads,
		RoleLookup:     s.roles,
		LoginHistory:   history,
		Membership:     s.users,
		Roles:          s.roles,
		RoleQueries:    roleReads,
		Orgs:           s.orgs,
		OrgLoader:      s.orgs,
		Passwords:      s.passwords,
		SecondFactors:  s.mfa,
		Challenges:     session.New(rdb, prefix+"mfa:", session.Config{Idle: 5 * time.Minute, Absolute: 5 * time.Minute}),
		OrgQueries:     orgReads,
		Limiter:        limiter,
		LoginLimits: httpapi.LoginLimits{
			PerIP:      ratelimit.Rule{Name: "login-ip", Rate: 10_000, Period: time.Minute, Burst: 10_000},
			PerAccount: ratelimit.Rule{Name: "login-account", Rate: 10_000, Period: time.Minute, Burst: 10_000},
		},
		Onboarding:   s.users,
		SignUps:      signUps,
		Registration: s.registrations,
	}
	for _, opt := range opts {
		opt(&deps)
	}
	s.srv = httptest.NewServer(httpapi.NewServer(deps))
	t.Cleanup(s.srv.Close)
	return s
}

// admin bootstraps the first System Admin and returns its ID.
func (s *stack) admin() uuid.UUID {
	s.t.Helper()
	res, err := s.users.Bootstrap(context.Background(), commands.System("test"), "root@example.com", testPassword)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.UserID
}

// user creates a user with the test password straight through the
// command handler and returns its ID.
func (s *stack) user(email, orgID, orgRole string, roles ...string) uuid.UUID {
	s.t.Helper()
	res, err := s.users.Create(context.Background(), commands.System("test"), commands.CreateUser{
		Email: email, FirstName: "Test", LastName: strings.Split(email, "@")[0], Roles: roles,
		OrgID: orgID, OrgRole: orgRole, Password: testPassword,
	})
	if err != nil {
		s.t.Fatalf("create %s: %v", email, err)
	}
	return res.ID
}

// org creates an organization.
func (s *stack) org(id, name string) {
	s.t.Helper()
	if _, err := s.orgs.Create(context.Background(), commands.System("test"), id, name); err != nil {
		s.t.Fatalf("create org %s: %v", id, err)
	}
}

// login logs in over HTTP and returns the bearer token.
func (s *stack) login(email string) string {
	s.t.Helper()
	resp, err := http.Post(s.srv.URL+"/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+testPassword+`"}`))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("login %s: %d %s", email, resp.StatusCode, raw)
	}
	return jsonField(s.t, raw, "token")
}

// caughtUp waits until every projector has applied the whole event log.
func (s *stack) caughtUp() {
	s.t.Helper()
	pos, err := s.store.LastPosition(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	for _, name := range []string{userlist.Name, rolecatalogue.Name, orglist.Name, loginhistoryproj.Name} {
		if err := s.waiter.WaitFor(context.Background(), name, pos, 5*time.Second); err != nil {
			s.t.Fatalf("projector %s: %v", name, err)
		}
	}
}

// jsonField returns a string member of a JSON object.
func jsonField(t *testing.T, raw []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	v, _ := m[name].(string)
	return v
}

// backdatePassword sets the user's password again (the test password) as
// if it had been set age ago.
func (s *stack) backdatePassword(id uuid.UUID, age time.Duration) error {
	past, err := commands.NewUsers(commands.UsersConfig{Store: s.store, Hasher: s.hasher,
		Now: func() time.Time { return time.Now().Add(-age) }})
	if err != nil {
		return err
	}
	_, err = past.ChangePassword(context.Background(), commands.System("test"), id, nil, testPassword)
	return err
}
