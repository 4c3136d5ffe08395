package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/httpapi"
	"github.com/clarynext/usermgmt/infra/ratelimit"
)

// newLimitedAPI is newAPI over a stack whose logins are limited by limits.
// The admin's login in it counts once against the IP and its account.
func newLimitedAPI(t *testing.T, limits httpapi.LoginLimits) *api {
	t.Helper()
	return newAPI(t, func(d *httpapi.Deps) { d.LoginLimits = limits })
}

// TestLoginRateLimits: past the per-account limit a login gets 429 with
// Retry-After while another account still logs in from the same IP, until
// the per-IP limit; refused attempts record nothing and leak no email.
func TestLoginRateLimits(t *testing.T) {
	// Per hour, so that nothing refills while the test runs.
	a := newLimitedAPI(t, httpapi.LoginLimits{
		PerIP:      ratelimit.Rule{Name: "login-ip", Rate: 7, Period: time.Hour, Burst: 7},
		PerAccount: ratelimit.Rule{Name: "login-account", Rate: 3, Period: time.Hour, Burst: 3},
	})
	a.user("ann@example.com", "", "")
	a.user("bob@example.com", "", "")
	a.caughtUp()

	login := func(email string) reply {
		t.Helper()
		return a.call(http.MethodPost, "/v1/auth/login", `{"email":"`+email+`","password":"`+testPassword+`"}`,
			map[string]string{"Authorization": ""})
	}
	refused := func(r reply, limit string) {
		t.Helper()
		if r.status != http.StatusTooManyRequests || !strings.HasSuffix(r.body["type"].(string), "/too-many-requests") {
			t.Fatalf("got %d %s, want 429 too-many-requests", r.status, r.raw)
		}
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 3600 {
			t.Fatalf("Retry-After %q, want whole seconds within the hour", r.header.Get("Retry-After"))
		}
		detail, _ := r.body["detail"].(string)
		if !strings.Contains(detail, limit) || strings.Contains(strings.ToLower(detail), "example") {
			t.Fatalf("detail %q: want it to name the %s limit and no email", detail, limit)
		}
	}

	// IP budget 7: the admin's login took 1.
	for i := range 3 {
		if r := login("ann@example.com"); r.status != http.StatusOK {
			t.Fatalf("ann login %d: %d %s", i+1, r.status, r.raw)
		}
	}
	before := a.lastPosition()
	// Case and spacing variants are the same account.
	refused(login(" ANN@Example.COM "), "account")
	refused(login("ann@example.com"), "account")
	if after := a.lastPosition(); after != before {
		t.Fatalf("refused logins moved the event log from %v to %v", before, after)
	}

	// The IP has spent 6 of 7 (the refused account attempts count against it).
	if r := login("bob@example.com"); r.status != http.StatusOK {
		t.Fatalf("bob login: %d %s", r.status, r.raw)
	}
	before = a.lastPosition()
	refused(login("bob@example.com"), "IP")
	refused(login("nobody@example.com"), "IP")
	if after := a.lastPosition(); after != before {
		t.Fatalf("refused logins moved the event log from %v to %v", before, after)
	}

	keys, err := a.rdb.Keys(context.Background(), a.prefix+"ratelimit:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no rate limit keys under the stack's prefix")
	}
	for _, k := range keys {
		if strings.Contains(strings.ToLower(k), "example") || strings.Contains(k, "127.0.0.1") {
			t.Fatalf("key %q holds an email or address in clear", k)
		}
	}
}

// TestLoginRateLimitDefaults: with zero LoginLimits the documented
// defaults apply (10 attempts per account).
func TestLoginRateLimitDefaults(t *testing.T) {
	a := newLimitedAPI(t, httpapi.LoginLimits{})
	a.user("ann@example.com", "", "")
	for i := range 10 {
		r := a.call(http.MethodPost, "/v1/auth/login", `{"email":"ann@example.com","password":"wrong password!"}`,
			map[string]string{"Authorization": ""})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := a.call(http.MethodPost, "/v1/auth/login", `{"email":"ann@example.com","password":"wrong password!"}`,
		map[string]string{"Authorization": ""})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body["detail"].(string), "account") {
		t.Fatalf("11th attempt: %d %s", r.status, r.raw)
	}
}
