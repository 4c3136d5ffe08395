package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/clarynext/usermgmt/infra/config"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/httpapi"
	"github.com/clarynext/usermgmt/infra/lockexpiry"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/projections/userlist"
)

// loginLimiter is the login rate limiter, nil when LOGIN_RATE_LIMIT=off.
func loginLimiter(a *app) httpapi.RateLimiter {
	if !a.cfg.LoginRateLimit {
		return nil
	}
	return a.limiter
}

// serve runs the HTTP service until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", args)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	a, err := newApp(ctx, cfg, logger, reg)
	if err != nil {
		return err
	}
	defer a.close()
	if getenv("GOMAXPROCS") == "" {
		defer spareProcessor()()
	}
	if err := bootstrapAtStart(ctx, a); err != nil {
		return err
	}

	dispatcher, err := mailDispatcher(a, reg)
	if err != nil {
		return err
	}
	projCtx, stopProjections := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range a.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r.Run(projCtx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		lockexpiry.Run(projCtx, a.userReads, a.auth, 10*time.Second, logger)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Mail never blocks a command: the outbox sends after the fact.
		if err := dispatcher.Run(projCtx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("mail outbox stopped", slog.Any("error", err))
		}
	}()
	defer func() {
		stopProjections()
		wg.Wait()
	}()

	handler := httpapi.NewServer(httpapi.Deps{
		Logger:   logger,
		Registry: reg,
		Ready: []httpapi.ReadinessCheck{
			{Name: "eventstore", Check: func(ctx context.Context) error {
				_, err := a.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.EndPosition, Max: 1})
				return err
			}},
			{Name: "redis", Check: func(ctx context.Context) error { return a.rdb.Ping(ctx).Err() }},
		},
		Users:          a.users,
		Queries:        a.userReads,
		Auth:           a.auth,
		Sessions:       a.sessions,
		UserLoader:     a.users,
		Catalogue:      a.roleReads,
		RoleLookup:     a.roles,
		LoginHistory:   a.loginHistory,
		Membership:     a.users,
		Roles:          a.roles,
		RoleQueries:    a.roleReads,
		Orgs:           a.orgs,
		OrgLoader:      a.orgs,
		Passwords:      a.passwords,
		SecondFactors:  a.mfa,
		Challenges:     a.challenges,
		CatalogueTTL:   time.Second,
		OrgQueries:     a.orgReads,
		Waiter:         projections.NewWaiter(a.rdb, cfg.RedisPrefix),
		UsersProjector: userlist.Name,
		Redis:          a.rdb,
		Prefix:         cfg.RedisPrefix,
		Onboarding:     a.users,
		SignUps:        a.signUps,
		Registration:   a.registrations,
		// Login and onboarding limits: the defaults documented on
		// httpapi.LoginLimits and httpapi.PublicLimits.
		Limiter: loginLimiter(a),
	})
	if cfg.PprofAddr != "" {
		go servePprof(ctx, cfg.PprofAddr, logger)
	}
	return listenAndServe(ctx, cfg, logger, handler)
}

func listenAndServe(ctx context.Context, cfg config.Config, logger *slog.Logger, handler http.Handler) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("http server listening", slog.String("addr", ln.Addr().String()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// servePprof serves Go's profiler on a loopback address until ctx is done.
// spareProcessor gives Go's scheduler one processor more than it had, and
// returns what puts it back. newApp sized the password Hasher from
// GOMAXPROCS, one check per processor, so a login flood keeps every
// processor hashing. With one more, a request, a projector or the outbox
// runs as soon as the kernel gives its thread a core, instead of waiting
// for Go to preempt a check (after up to 10 ms). Under 8 clients of
// password logins on 2 cores (README, Benchmarks; 3 alternated pairs):
// login p90 156-166 -> 133-142 ms, p99 197-202 -> 149-169 ms, logins/s
// unchanged. An operator's GOMAXPROCS is left as set.
func spareProcessor() (restore func()) {
	before := runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	return func() { runtime.GOMAXPROCS(before) }
}

func servePprof(ctx context.Context, addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info("profiler listening", slog.String("addr", addr))
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("profiler", slog.Any("error", err))
	}
}
