package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLoadLoginAccounts runs the load tool's login scenario with three
// accounts against the real server: it creates them, every login succeeds
// and the comparison with the raw argon2id rate is printed.
func TestLoadLoginAccounts(t *testing.T) {
	dataDir := t.TempDir()
	base, logs, _ := startServer(t, map[string]string{"DATA_DIR": dataDir, "LOGIN_RATE_LIMIT": "off"})
	var out strings.Builder
	err := loadCmd(context.Background(), []string{
		"--url", base, "--email", defaultAdminEmail, "--password-file", filepath.Join(dataDir, "initial-admin-password"),
		"--scenario", "login", "--accounts", "3", "--clients", "3", "--duration", "2s", "--rounds", "1", "--warmup", "200ms",
	}, func(string) string { return "" }, &out)
	if err != nil {
		t.Fatalf("load: %v\n%s\nserver logs:\n%s", err, out.String(), logs)
	}
	m := regexp.MustCompile(`login clients=3 requests=(\d+) errors=(\d+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "logins/raw median=") {
		t.Fatalf("output lacks the login summary or the ratio:\n%s", out.String())
	}
	if n, _ := strconv.Atoi(m[1]); n < 3 || m[2] != "0" {
		t.Errorf("%s requests, %s errors; want at least one login per account and no errors", m[1], m[2])
	}

	c := adminClient(t, base, dataDir, nil)
	found := c.must(http.StatusOK, http.MethodGet, "/v1/users?"+url.Values{"q": {"load-login"}}.Encode(), nil)
	if found["total"].(float64) != 3 {
		t.Fatalf("%v accounts named load-login, want 3", found["total"])
	}
	for _, it := range found["items"].([]any) {
		id := it.(map[string]any)["id"].(string)
		history := c.must(http.StatusOK, http.MethodGet, "/v1/users/"+id+"/login-history", nil)
		if len(history["items"].([]any)) == 0 {
			t.Errorf("account %s has no logins: the load did not take turns", id)
		}
	}
}

// TestLoadRefusals runs the refusals scenario against the real server:
// every login is refused with 401, the three kinds take turns and each
// gets its latency line.
func TestLoadRefusals(t *testing.T) {
	dataDir := t.TempDir()
	base, logs, _ := startServer(t, map[string]string{"DATA_DIR": dataDir, "LOGIN_RATE_LIMIT": "off"})
	var out strings.Builder
	err := loadCmd(context.Background(), []string{
		"--url", base, "--email", defaultAdminEmail, "--password-file", filepath.Join(dataDir, "initial-admin-password"),
		"--scenario", "refusals", "--clients", "2", "--duration", "1s", "--warmup", "200ms",
	}, func(string) string { return "" }, &out)
	if err != nil {
		t.Fatalf("load: %v\n%s\nserver logs:\n%s", err, out.String(), logs)
	}
	if m := regexp.MustCompile(`refusals clients=2 requests=(\d+) errors=0 `).FindStringSubmatch(out.String()); m == nil {
		t.Fatalf("output lacks the summary or has errors:\n%s", out.String())
	}
	for _, kind := range []string{"unknown", "known", "suspended"} {
		if !regexp.MustCompile(`refusal case=` + kind + ` n=[1-9]\d* p25=`).MatchString(out.String()) {
			t.Errorf("no latencies for %s refusals:\n%s", kind, out.String())
		}
	}
	if !strings.Contains(out.String(), "median_vs_unknown=") {
		t.Errorf("no comparison with the unknown address:\n%s", out.String())
	}
}
