package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminBootstrap: the CLI creates the first System Admin once; a
// later run, and BOOTSTRAP_ADMIN_* at a server's start, change nothing;
// the admin logs in; no generated password file appears.
func TestAdminBootstrap(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("first admin secret 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	bootstrap := func(email string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(t.Context(), []string{"admin", "bootstrap", "--email", email, "--password-file", pwFile}, getenv, &out, io.Discard); err != nil {
			t.Fatalf("admin bootstrap: %v", err)
		}
		return out.String()
	}
	if out := bootstrap("first@example.com"); !strings.Contains(out, "created the first System Admin first@example.com") {
		t.Fatalf("first run: %q", out)
	}
	if out := bootstrap("second@example.com"); !strings.Contains(out, "bootstrapped before") {
		t.Fatalf("second run: %q", out)
	}
	if err := run(t.Context(), []string{"admin", "bootstrap"}, getenv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Fatalf("without --email: %v", err)
	}

	env["BOOTSTRAP_ADMIN_EMAIL"], env["BOOTSTRAP_ADMIN_PASSWORD"] = "third@example.com", "third admin secret 3"
	base, _, _ := startServer(t, env)
	c := client{t: t, base: base}
	c.must(http.StatusOK, http.MethodPost, "/v1/auth/login", map[string]any{"email": "first@example.com", "password": "first admin secret 1"})
	c.must(http.StatusUnauthorized, http.MethodPost, "/v1/auth/login", map[string]any{"email": "third@example.com", "password": "third admin secret 3"})
	if _, err := os.Stat(filepath.Join(dir, "initial-admin-password")); !os.IsNotExist(err) {
		t.Fatalf("a generated password file next to a bootstrapped admin: %v", err)
	}
}

// TestBootstrapFromEnvironment: BOOTSTRAP_ADMIN_* at the first start
// create the admin instead of a generated one.
func TestBootstrapFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir, "BOOTSTRAP_ADMIN_EMAIL": "env@example.com", "BOOTSTRAP_ADMIN_PASSWORD": "from the environment 7"}
	base, _, _ := startServer(t, env)
	c := client{t: t, base: base}
	out := c.must(http.StatusOK, http.MethodPost, "/v1/auth/login", map[string]any{"email": "env@example.com", "password": "from the environment 7"})
	c.token = out["token"].(string)
	if me := c.must(http.StatusOK, http.MethodGet, "/v1/me", nil); me["system_admin"] != true {
		t.Fatalf("me: %v", me)
	}
	if _, err := os.Stat(filepath.Join(dir, "initial-admin-password")); !os.IsNotExist(err) {
		t.Fatalf("a generated password file despite BOOTSTRAP_ADMIN_*: %v", err)
	}
}
