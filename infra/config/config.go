// Package config reads the service's settings from environment variables.
// Only cmd/ calls it; everything else receives its settings as arguments.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of the service. The zero value is not valid:
// use Load, which fills in safe defaults.
type Config struct {
	// HTTPAddr is the address the HTTP server listens on (HTTP_ADDR).
	HTTPAddr string
	// DataDir holds the embedded event store and other local files (DATA_DIR).
	DataDir string
	// ESDBURL selects EventStoreDB instead of the embedded store when set
	// (ESDB_URL, e.g. esdb://localhost:2113?tls=false).
	ESDBURL string
	// RedisURL is the read-model Redis (REDIS_URL); empty runs an in-process one.
	RedisURL string
	// RedisPrefix is put before every Redis key (REDIS_PREFIX).
	RedisPrefix string
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel slog.Level
	// ShutdownTimeout bounds the graceful shutdown (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// BootstrapAdminEmail and BootstrapAdminPassword create the first
	// System Admin at the first start (BOOTSTRAP_ADMIN_EMAIL,
	// BOOTSTRAP_ADMIN_PASSWORD); both or neither.
	BootstrapAdminEmail    string
	BootstrapAdminPassword string
	// SessionIdle and SessionMaxAge bound bearer sessions: idle time and
	// absolute lifetime (SESSION_IDLE_TIMEOUT, SESSION_MAX_AGE).
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// LoginRateLimit turns the login rate limits (per IP and per account)
	// on or off (LOGIN_RATE_LIMIT=on|off, default on); off is for load tests.
	LoginRateLimit bool
	// PprofAddr, when set, serves Go's profiler there (PPROF_ADDR); it must
	// be a loopback address.
	PprofAddr string
	// SMTPURL sends mail over SMTP when set (SMTP_URL,
	// smtp://[user:password@]host[:port][?tls=none|starttls|tls]); unset,
	// mails are written as .eml files under DATA_DIR/mail.
	SMTPURL string
	// MailFrom is the From address of every mail (MAIL_FROM).
	MailFrom string
	// ProductName names the product in mails (PRODUCT_NAME).
	ProductName string
	// PublicURL is where people reach the service; emailed links start
	// with it (PUBLIC_URL, default http://localhost plus HTTP_ADDR's port).
	PublicURL string
	// InvitationTTL, ResetTTL and VerificationTTL say how long emailed
	// links work (INVITATION_TTL, RESET_TTL, VERIFICATION_TTL).
	InvitationTTL, ResetTTL, VerificationTTL time.Duration
}

// Defaults used by Load for unset variables.
const (
	DefaultHTTPAddr        = ":8080"
	DefaultDataDir         = "./data"
	DefaultRedisPrefix     = "usermgmt:"
	DefaultShutdownTimeout = 15 * time.Second
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionMaxAge   = 12 * time.Hour
	DefaultMailFrom        = "ClaryNext <no-reply@usermgmt.local>"
	DefaultProductName     = "ClaryNext"
	DefaultInvitationTTL   = 7 * 24 * time.Hour
	DefaultResetTTL        = time.Hour
	DefaultVerificationTTL = 24 * time.Hour
)

// Load reads the configuration through getenv, applies defaults and
// validates it. All problems are reported at once.
func Load(getenv func(string) string) (Config, error) {
	cfg := Config{
		HTTPAddr:        orDefault(getenv("HTTP_ADDR"), DefaultHTTPAddr),
		DataDir:         orDefault(getenv("DATA_DIR"), DefaultDataDir),
		ESDBURL:         strings.TrimSpace(getenv("ESDB_URL")),
		RedisURL:        strings.TrimSpace(getenv("REDIS_URL")),
		RedisPrefix:     orDefault(getenv("REDIS_PREFIX"), DefaultRedisPrefix),
		ShutdownTimeout: DefaultShutdownTimeout,
		PprofAddr:       strings.TrimSpace(getenv("PPROF_ADDR")),
		SessionIdle:     DefaultSessionIdle,
		LoginRateLimit:  true,
		SessionMaxAge:   DefaultSessionMaxAge,

		BootstrapAdminEmail:    strings.TrimSpace(getenv("BOOTSTRAP_ADMIN_EMAIL")),
		BootstrapAdminPassword: getenv("BOOTSTRAP_ADMIN_PASSWORD"),

		SMTPURL:         strings.TrimSpace(getenv("SMTP_URL")),
		MailFrom:        orDefault(getenv("MAIL_FROM"), DefaultMailFrom),
		ProductName:     orDefault(getenv("PRODUCT_NAME"), DefaultProductName),
		PublicURL:       strings.TrimRight(strings.TrimSpace(getenv("PUBLIC_URL")), "/"),
		InvitationTTL:   DefaultInvitationTTL,
		ResetTTL:        DefaultResetTTL,
		VerificationTTL: DefaultVerificationTTL,
	}
	var errs []error
	if cfg.PublicURL == "" && cfg.SMTPURL != "" {
		errs = append(errs, fmt.Errorf("PUBLIC_URL is required with SMTP_URL: the links in real mail must reach people, not localhost"))
	}
	if cfg.PublicURL == "" {
		_, port, _ := strings.Cut(cfg.HTTPAddr, ":")
		cfg.PublicURL = "http://localhost:" + port
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", v))
		}
	}
	switch v := strings.TrimSpace(getenv("LOGIN_RATE_LIMIT")); v {
	case "", "on":
	case "off":
		cfg.LoginRateLimit = false
	default:
		errs = append(errs, fmt.Errorf("LOGIN_RATE_LIMIT %q: want on or off", v))
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout}, {"SESSION_IDLE_TIMEOUT", &cfg.SessionIdle}, {"SESSION_MAX_AGE", &cfg.SessionMaxAge},
		{"INVITATION_TTL", &cfg.InvitationTTL}, {"RESET_TTL", &cfg.ResetTTL}, {"VERIFICATION_TTL", &cfg.VerificationTTL}} {
		if v := getenv(d.name); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur <= 0 {
				errs = append(errs, fmt.Errorf("%s %q: want a positive duration such as 15s", d.name, v))
			} else {
				*d.dst = dur
			}
		}
	}
	errs = append(errs, cfg.validate())
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func (c Config) validate() error {
	var errs []error
	if _, port, ok := strings.Cut(c.HTTPAddr, ":"); !ok || !validPort(port) {
		errs = append(errs, fmt.Errorf("HTTP_ADDR %q: want host:port, e.g. :8080", c.HTTPAddr))
	}
	if c.PprofAddr != "" && !strings.HasPrefix(c.PprofAddr, "127.") && !strings.HasPrefix(c.PprofAddr, "localhost:") && !strings.HasPrefix(c.PprofAddr, "[::1]:") {
		errs = append(errs, fmt.Errorf("PPROF_ADDR %q: the profiler listens on loopback only, e.g. 127.0.0.1:6060", c.PprofAddr))
	}
	if c.ESDBURL != "" && !strings.HasPrefix(c.ESDBURL, "esdb://") && !strings.HasPrefix(c.ESDBURL, "esdb+discover://") {
		errs = append(errs, fmt.Errorf("ESDB_URL: want an esdb:// or esdb+discover:// connection string"))
	}
	if (c.BootstrapAdminEmail == "") != (c.BootstrapAdminPassword == "") {
		errs = append(errs, fmt.Errorf("BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together: set both or neither"))
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			errs = append(errs, fmt.Errorf("REDIS_URL: want a redis://, rediss:// or unix:// URL"))
		}
	}
	if c.SMTPURL != "" && !strings.HasPrefix(c.SMTPURL, "smtp://") {
		// Never echo the value: it may hold a password.
		errs = append(errs, fmt.Errorf("SMTP_URL: want smtp://[user:password@]host[:port][?tls=none|starttls|tls]"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PUBLIC_URL %q: want an http:// or https:// URL", c.PublicURL))
	}
	return errors.Join(errs...)
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
