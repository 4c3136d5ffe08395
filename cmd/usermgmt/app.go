package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/config"
	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/crypto/sealbox"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/ratelimit"
	"github.com/clarynext/usermgmt/infra/session"
	"github.com/clarynext/usermgmt/projections"
	loginhistoryproj "github.com/clarynext/usermgmt/projections/loginhistory"
	"github.com/clarynext/usermgmt/projections/mailoutbox"
	"github.com/clarynext/usermgmt/projections/orglist"
	"github.com/clarynext/usermgmt/projections/rolecatalogue"
	"github.com/clarynext/usermgmt/projections/userlist"
	"github.com/clarynext/usermgmt/readmodels/keyspace"
	"github.com/clarynext/usermgmt/readmodels/loginhistory"
	"github.com/clarynext/usermgmt/readmodels/mailqueue"
	"github.com/clarynext/usermgmt/readmodels/orgs"
	"github.com/clarynext/usermgmt/readmodels/roles"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// app is the service's object graph, shared by serve and the CLI commands.
type app struct {
	cfg    config.Config
	logger *slog.Logger
	store  eventstore.Store
	rdb    redis.UniversalClient
	hasher *password.Hasher
	users  *commands.Users
	links  *linktoken.Minter
	// registrations keeps the self-registration settings; signUps
	// registers under them.
	registrations *commands.Registrations
	signUps       *commands.SignUps
	passwords     *commands.Passwords
	mfa           *commands.MFA
	challenges    *session.Store
	auth          *commands.Auth
	roles         *commands.Roles
	orgs          *commands.Orgs
	userReads     *users.Store
	roleReads     *roles.Store
	orgReads      *orgs.Store
	loginHistory  *loginhistory.Store
	mailQueue     *mailqueue.Queue
	sessions      *session.Store
	limiter       *ratelimit.Limiter
	runners       []*projections.Runner
	close         func()
}

// openCLIApp is newApp for the one-shot CLI commands: configuration from
// getenv, warnings and errors logged as JSON to stderr, no metrics.
func openCLIApp(ctx context.Context, getenv func(string) string, stderr io.Writer) (*app, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return newApp(ctx, cfg, logger, nil)
}

// newApp opens the event store and Redis and builds handlers, read models
// and projectors. reg may be nil (CLI commands export no metrics).
func newApp(ctx context.Context, cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) (*app, error) {
	store, err := openEventStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	rdb, closeRedis, err := openRedis(ctx, cfg, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &app{cfg: cfg, logger: logger, store: store, rdb: rdb, close: func() {
		closeRedis()
		if err := store.Close(); err != nil {
			logger.Error("close event store", slog.Any("error", err))
		}
	}}
	if err := a.build(reg); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) build(reg prometheus.Registerer) error {
	var err error
	a.hasher = password.NewHasher(password.OWASP, 0)
	if a.roles, err = commands.NewRoles(commands.RolesConfig{Store: a.store}); err != nil {
		return err
	}
	common, err := password.NewCommonList()
	if err != nil {
		return err
	}
	if a.passwords, err = commands.NewPasswords(commands.PasswordsConfig{Store: a.store, Verifier: a.hasher, Common: common}); err != nil {
		return err
	}
	// The service's secret key lives in DATA_DIR (mount the same file on
	// every instance when running several). It seals second-factor
	// secrets and, through a derived key, mints the tokens of emailed
	// links.
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return err
	}
	key, err := sealbox.LoadOrCreateKeyFile(filepath.Join(a.cfg.DataDir, "secrets.key"))
	if err != nil {
		return err
	}
	if a.links, err = linktoken.New(key); err != nil {
		return err
	}
	if a.users, err = commands.NewUsers(commands.UsersConfig{
		Store: a.store, Hasher: a.hasher, Roles: a.roles, CheckOrgs: true, Passwords: a.passwords, Links: a.links,
		LinkTTLs: commands.LinkTTLs{Invitation: a.cfg.InvitationTTL, Reset: a.cfg.ResetTTL, Verification: a.cfg.VerificationTTL},
	}); err != nil {
		return err
	}
	if a.registrations, err = commands.NewRegistrations(commands.RegistrationsConfig{Store: a.store}); err != nil {
		return err
	}
	if a.signUps, err = commands.NewSignUps(a.registrations, a.users); err != nil {
		return err
	}
	if a.auth, err = commands.NewAuth(commands.AuthConfig{Store: a.store, Verifier: a.hasher}); err != nil {
		return err
	}
	if a.orgs, err = commands.NewOrgs(commands.OrgsConfig{Store: a.store}); err != nil {
		return err
	}
	p := a.cfg.RedisPrefix
	box, err := sealbox.New(key)
	if err != nil {
		return err
	}
	if a.mfa, err = commands.NewMFA(commands.MFAConfig{Store: a.store, Box: box, Issuer: "ClaryNext", Hasher: a.hasher}); err != nil {
		return err
	}
	a.challenges = session.New(a.rdb, p+"mfa:", session.Config{Idle: 5 * time.Minute, Absolute: 5 * time.Minute})
	a.sessions = session.New(a.rdb, p, session.Config{Idle: a.cfg.SessionIdle, Absolute: a.cfg.SessionMaxAge})
	if a.limiter, err = ratelimit.New(a.rdb, p+"ratelimit:"); err != nil {
		return err
	}
	a.userReads = users.New(a.rdb, p+"users:")
	a.roleReads = roles.New(a.rdb, p+"roles:")
	a.orgReads = orgs.New(a.rdb, p+"orgs:")
	a.loginHistory = loginhistory.New(a.rdb, p+"logins:")
	a.mailQueue = mailqueue.New(a.rdb, p+"mailqueue:")
	reset := func(prefix string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := keyspace.DeletePrefix(ctx, a.rdb, prefix)
			return err
		}
	}
	var projectors []projections.Projector
	for _, build := range []func() (projections.Projector, error){
		func() (projections.Projector, error) { return userlist.New(a.userReads, reset(p+"users:")) },
		func() (projections.Projector, error) { return rolecatalogue.New(a.roleReads, reset(p+"roles:")) },
		func() (projections.Projector, error) { return orglist.New(a.orgReads, reset(p+"orgs:")) },
		func() (projections.Projector, error) {
			return loginhistoryproj.New(a.loginHistory, reset(p+"logins:"))
		},
		// A rebuild queues every mail again; the dispatcher sends none
		// twice (mail-{eventID} streams) and skips links that died.
		func() (projections.Projector, error) { return mailoutbox.New(a.mailQueue) },
	} {
		proj, err := build()
		if err != nil {
			return err
		}
		projectors = append(projectors, proj)
	}
	metrics := projections.NewMetrics(reg)
	for _, proj := range projectors {
		r, err := projections.NewRunner(projections.Config{
			Source: a.store, Redis: a.rdb, Prefix: p, Logger: a.logger, Metrics: metrics,
		}, proj)
		if err != nil {
			return err
		}
		a.runners = append(a.runners, r)
	}
	return nil
}

// runner returns the runner of the named projector.
func (a *app) runner(name string) (*projections.Runner, error) {
	for _, r := range a.runners {
		if r.Name() == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no projector named %q (have %s)", name, a.projectorNames())
}

func (a *app) projectorNames() string {
	s := ""
	for i, r := range a.runners {
		if i > 0 {
			s += ", "
		}
		s += r.Name()
	}
	return s
}
