package config_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load with no variables: %v", err)
	}
	want := config.Config{
		HTTPAddr:        ":8080",
		DataDir:         "./data",
		RedisPrefix:     "usermgmt:",
		LogLevel:        slog.LevelInfo,
		ShutdownTimeout: 15 * time.Second,
		SessionIdle:     30 * time.Minute,
		SessionMaxAge:   12 * time.Hour,
		LoginRateLimit:  true,
		MailFrom:        "ClaryNext <no-reply@usermgmt.local>",
		ProductName:     "ClaryNext",
		PublicURL:       "http://localhost:8080",
		InvitationTTL:   7 * 24 * time.Hour,
		ResetTTL:        time.Hour,
		VerificationTTL: 24 * time.Hour,
	}
	if cfg != want {
		t.Fatalf("defaults = %+v, want %+v", cfg, want)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(config.Config) bool
		wantErr []string // substrings, all of which the error must name
	}{
		{
			name: "all set",
			env:  map[string]string{"HTTP_ADDR": "127.0.0.1:9000", "DATA_DIR": "/var/lib/um", "ESDB_URL": "esdb://es:2113?tls=false", "REDIS_URL": "redis://r:6379/2", "REDIS_PREFIX": "t1:", "LOG_LEVEL": "debug", "SHUTDOWN_TIMEOUT": "3s"},
			check: func(c config.Config) bool {
				return c.HTTPAddr == "127.0.0.1:9000" && c.DataDir == "/var/lib/um" && c.ESDBURL == "esdb://es:2113?tls=false" && c.RedisURL == "redis://r:6379/2" && c.RedisPrefix == "t1:" && c.LogLevel == slog.LevelDebug && c.ShutdownTimeout == 3*time.Second
			},
		},
		{
			name: "mail",
			env:  map[string]string{"SMTP_URL": "smtp://u:p@mail:587", "MAIL_FROM": "Acme <a@acme.example>", "PRODUCT_NAME": "Acme", "PUBLIC_URL": "https://id.acme.example/", "RESET_TTL": "15m"},
			check: func(c config.Config) bool {
				return c.SMTPURL == "smtp://u:p@mail:587" && c.MailFrom == "Acme <a@acme.example>" && c.ProductName == "Acme" &&
					c.PublicURL == "https://id.acme.example" && c.ResetTTL == 15*time.Minute
			},
		},
		{name: "bad smtp url, password not echoed", env: map[string]string{"SMTP_URL": "http://u:hunter2@x"}, wantErr: []string{"SMTP_URL"}},
		{name: "smtp without a public url", env: map[string]string{"SMTP_URL": "smtp://mail:25"}, wantErr: []string{"PUBLIC_URL"}},
		{name: "bad public url", env: map[string]string{"PUBLIC_URL": "id.acme.example"}, wantErr: []string{"PUBLIC_URL"}},
		{name: "bad addr", env: map[string]string{"HTTP_ADDR": "8080"}, wantErr: []string{"HTTP_ADDR"}},
		{name: "pprof off loopback", env: map[string]string{"PPROF_ADDR": "0.0.0.0:6060"}, wantErr: []string{"PPROF_ADDR"}},
		{name: "bad esdb url", env: map[string]string{"ESDB_URL": "http://x"}, wantErr: []string{"ESDB_URL"}},
		{name: "bad redis url", env: map[string]string{"REDIS_URL": "mysql://x"}, wantErr: []string{"REDIS_URL"}},
		{name: "every problem at once", env: map[string]string{"LOG_LEVEL": "loud", "SHUTDOWN_TIMEOUT": "-1s", "HTTP_ADDR": "x", "SESSION_MAX_AGE": "forever", "BOOTSTRAP_ADMIN_EMAIL": "a@b.c", "LOGIN_RATE_LIMIT": "maybe"},
			wantErr: []string{"LOG_LEVEL", "SHUTDOWN_TIMEOUT", "HTTP_ADDR", "SESSION_MAX_AGE", "BOOTSTRAP_ADMIN_PASSWORD", "LOGIN_RATE_LIMIT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(env(tc.env))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if !tc.check(cfg) {
					t.Fatalf("unexpected config %+v", cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded with %v, want an error", tc.env)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q echoes a secret", err)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %s", err, s)
				}
			}
		})
	}
}
