package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/config"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/projections/userlist"
	"github.com/clarynext/usermgmt/readmodels/keyspace"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// app is the service's object graph, shared by serve and the CLI commands.
type app struct {
	cfg       config.Config
	logger    *slog.Logger
	store     eventstore.Store
	rdb       redis.UniversalClient
	users     *commands.Users
	userReads *users.Store
	runners   []*projections.Runner
	close     func()
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
	a.users, err = commands.NewUsers(commands.UsersConfig{
		Store:  a.store,
		Hasher: password.NewHasher(password.OWASP, 0),
	})
	if err != nil {
		return err
	}
	usersPrefix := a.cfg.RedisPrefix + "users:"
	a.userReads = users.New(a.rdb, usersPrefix)
	userProjector, err := userlist.New(a.userReads, func(ctx context.Context) error {
		_, err := keyspace.DeletePrefix(ctx, a.rdb, usersPrefix)
		return err
	})
	if err != nil {
		return err
	}
	metrics := projections.NewMetrics(reg)
	for _, p := range []projections.Projector{userProjector} {
		r, err := projections.NewRunner(projections.Config{
			Source: a.store, Redis: a.rdb, Prefix: a.cfg.RedisPrefix, Logger: a.logger, Metrics: metrics,
		}, p)
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
