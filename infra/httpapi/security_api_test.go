package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain/role"
)

// Functional tests over the whole service (see stack) for login history,
// lockout, effective permissions, custom roles and organizations. Every
// request and response is also checked against openapi.yaml by api.call.

// User-Agent headers of the login history test, and what the service
// parses from them (infra/useragent).
const (
	secChromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	secSafariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)

// secWant fails the test unless the reply has the status.
func secWant(t *testing.T, r reply, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
}

// secProblem checks a problem reply: status, type slug, and that it names
// field (in errors[].field, in field, or failing both in detail).
func secProblem(t *testing.T, r reply, status int, typ, field, what string) {
	t.Helper()
	secWant(t, r, status, what)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s: content type %q: %s", what, ct, r.raw)
	}
	if got, _ := r.body["type"].(string); typ != "" && got != "https://clarynext.dev/problems/"+typ {
		t.Fatalf("%s: problem type %q, want .../%s: %s", what, got, typ, r.raw)
	}
	if field == "" {
		return
	}
	if f, _ := r.body["field"].(string); f == field {
		return
	}
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return
		}
	}
	t.Fatalf("%s: the problem does not name %q in field or errors: %s", what, field, r.raw)
}

// secObjects returns the array body[key] as objects.
func secObjects(t *testing.T, body map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := body[key].([]any)
	if !ok {
		t.Fatalf("%q is not an array in %v", key, body)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%q[%d] is not an object: %v", key, i, v)
		}
		out[i] = m
	}
	return out
}

// secStrings returns the array body[key] as strings.
func secStrings(t *testing.T, body map[string]any, key string) []string {
	t.Helper()
	raw, ok := body[key].([]any)
	if !ok {
		t.Fatalf("%q is not an array in %v", key, body)
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%q[%d] is not a string: %v", key, i, v)
		}
		out[i] = s
	}
	return out
}

// secTime parses a JSON date-time; nil or anything else fails the test.
func secTime(t *testing.T, v any, what string) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s: %v is not a date-time", what, v)
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return at
}

// secLogin tries a login over HTTP with the given User-Agent ("" for Go's).
func secLogin(a *api, email, password, userAgent string) reply {
	a.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	h := map[string]string{"Authorization": ""}
	if userAgent != "" {
		h["User-Agent"] = userAgent
	}
	return a.call(http.MethodPost, "/v1/auth/login", string(body), h)
}

// secGrant renders a grant object as "kind:role@scope" for comparisons.
func secGrant(m map[string]any) string {
	s := fmt.Sprintf("%v:%v", m["kind"], m["role"])
	if scope, ok := m["scope"]; ok {
		s += fmt.Sprintf("@%v", scope)
	}
	return s
}

// secSources maps each effective permission of a /permissions reply to its
// sources, rendered by secGrant.
func secSources(t *testing.T, body map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range secObjects(t, body, "permissions") {
		name, _ := p["permission"].(string)
		for _, g := range secObjects(t, p, "sources") {
			out[name] = append(out[name], secGrant(g))
		}
	}
	return out
}

// secGrants renders body[key], an array of grants.
func secGrants(t *testing.T, body map[string]any, key string) []string {
	t.Helper()
	var out []string
	for _, g := range secObjects(t, body, key) {
		out = append(out, secGrant(g))
	}
	return out
}

// secChecks maps the checks of an explain reply to their ok values.
func secChecks(t *testing.T, body map[string]any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, c := range secObjects(t, body, "checks") {
		name, _ := c["check"].(string)
		ok, isBool := c["ok"].(bool)
		if !isBool {
			t.Fatalf("check %q has no boolean ok: %v", name, c)
		}
		if d, _ := c["detail"].(string); d == "" {
			t.Fatalf("check %q has no detail: %v", name, c)
		}
		out[name] = ok
	}
	return out
}

// secIDs lists the ids of a list reply's items.
func secIDs(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	for _, it := range secObjects(t, body, "items") {
		id, _ := it["id"].(string)
		out = append(out, id)
	}
	return out
}

// TestLockoutOverHTTP: three wrong passwords lock the user out under a
// policy of three; while locked even the right password is refused, with
// the same answer as an unknown address; the lock shows in the lock state,
// the list and the details until an admin clears it.
func TestLockoutOverHTTP(t *testing.T) {
	a := newAPI(t)
	const email = "locky@example.com"
	id := a.user(email, "", "", role.Member).String()

	// The policy: 3 failures within 15 minutes lock for 15 minutes. It was
	// never set ("0"); a second PUT that saw it unset must not overwrite it.
	never := map[string]string{"If-Match": `"0"`}
	put := a.call(http.MethodPut, "/v1/settings/lockout", `{"max_failures":3,"window_seconds":900,"lock_duration_seconds":900,"permanent_after":0}`, never)
	secWant(t, put, 200, "set the lockout policy")
	lost := a.call(http.MethodPut, "/v1/settings/lockout", `{"max_failures":9,"window_seconds":900,"lock_duration_seconds":900,"permanent_after":0}`, never)
	secWant(t, lost, 412, "set the lockout policy again, as never set")
	if put.body["changed"] != true || put.body["position"] == nil || put.header.Get("ETag") != fmt.Sprintf(`"%v"`, put.body["revision"]) {
		t.Fatalf("set the lockout policy: %s %v", put.raw, put.header)
	}
	got := a.call(http.MethodGet, "/v1/settings/lockout", "", nil)
	secWant(t, got, 200, "get the lockout policy")
	want := map[string]any{"max_failures": 3.0, "window_seconds": 900.0, "lock_duration_seconds": 900.0, "permanent_after": 0.0}
	for k, v := range want {
		if got.body[k] != v {
			t.Fatalf("lockout policy %s = %v, want %v: %s", k, got.body[k], v, got.raw)
		}
	}
	if got.header.Get("ETag") != put.header.Get("ETag") {
		t.Fatalf("policy ETag %q after PUT answered %q", got.header.Get("ETag"), put.header.Get("ETag"))
	}

	// What a login for an address nobody has answers.
	unknown := secLogin(a, "nobody@example.com", "wrong password 1", "")
	secProblem(t, unknown, 401, "unauthenticated", "", "login with an unknown email")
	refusal, _ := unknown.body["detail"].(string)
	if refusal == "" {
		t.Fatalf("unknown email: no detail: %s", unknown.raw)
	}
	sameRefusal := func(r reply, what string) {
		t.Helper()
		secProblem(t, r, 401, "unauthenticated", "", what)
		if r.body["detail"] != refusal || r.body["title"] != unknown.body["title"] {
			t.Fatalf("%s: %s, want the same problem as for an unknown email: %s", what, r.raw, unknown.raw)
		}
		if r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: 401 without WWW-Authenticate", what)
		}
		if _, ok := r.body["token"]; ok {
			t.Fatalf("%s: a refused login carries a token: %s", what, r.raw)
		}
	}

	lockState := func(what string) map[string]any {
		t.Helper()
		r := a.call(http.MethodGet, "/v1/users/"+id+"/lockout", "", nil)
		secWant(t, r, 200, what)
		return r.body
	}
	for i := 1; i <= 3; i++ {
		sameRefusal(secLogin(a, email, fmt.Sprintf("wrong password %d", i), ""), fmt.Sprintf("wrong password #%d", i))
		if i < 3 {
			st := lockState(fmt.Sprintf("lock state after %d failures", i))
			if st["locked"] != false || st["until"] != nil || st["permanent"] != false || st["recent_failures"] != float64(i) {
				t.Fatalf("lock state after %d failures: %v", i, st)
			}
		}
	}
	lockedAt := time.Now()

	// Locked: the right password is refused too, and looks the same.
	sameRefusal(secLogin(a, email, testPassword, ""), "the correct password while locked")

	st := lockState("lock state when locked")
	if st["locked"] != true || st["permanent"] != false || st["recent_failures"] != 0.0 {
		t.Fatalf("lock state when locked: %v", st)
	}
	until := secTime(t, st["until"], "lock state until")
	// The user list keeps times in whole milliseconds (readmodels/users).
	untilMs := until.Truncate(time.Millisecond)
	if lo, hi := lockedAt.Add(900*time.Second-5*time.Second), lockedAt.Add(900*time.Second+time.Second); until.Before(lo) || until.After(hi) {
		t.Fatalf("locked until %v, want about %v", until, lockedAt.Add(900*time.Second))
	}

	a.caughtUp()
	list := a.call(http.MethodGet, "/v1/users?lock=locked", "", nil)
	secWant(t, list, 200, "list locked users")
	if ids := secIDs(t, list.body); len(ids) != 1 || ids[0] != id || list.body["total"] != 1.0 {
		t.Fatalf("locked users: %s, want exactly %s", list.raw, id)
	}
	item := secObjects(t, list.body, "items")[0]
	if item["locked"] != true || !secTime(t, item["locked_until"], "list locked_until").Equal(untilMs) {
		t.Fatalf("locked user in the list: %v, want locked until %v", item, until)
	}
	details := a.call(http.MethodGet, "/v1/users/"+id, "", nil)
	secWant(t, details, 200, "details of the locked user")
	if details.body["locked"] != true || !secTime(t, details.body["locked_until"], "details locked_until").Equal(untilMs) {
		t.Fatalf("details of the locked user: %s, want locked until %v", details.raw, until)
	}

	// An admin clears the lock.
	clear := a.call(http.MethodPost, "/v1/users/"+id+"/lockout/clear", "", nil)
	secWant(t, clear, 200, "clear the lockout")
	if clear.body["changed"] != true || clear.body["user_id"] != id || clear.body["position"] == nil {
		t.Fatalf("clear the lockout: %s", clear.raw)
	}
	st = lockState("lock state after clear")
	if st["locked"] != false || st["until"] != nil || st["permanent"] != false || st["recent_failures"] != 0.0 {
		t.Fatalf("lock state after clear: %v", st)
	}

	login := secLogin(a, email, testPassword, "")
	secWant(t, login, 200, "login after clear")
	if login.body["user_id"] != id || login.body["token"] == "" || login.body["token_type"] != "Bearer" {
		t.Fatalf("login after clear: %s", login.raw)
	}
	// Nothing left to clear after a successful login.
	again := a.call(http.MethodPost, "/v1/users/"+id+"/lockout/clear", "", nil)
	secWant(t, again, 200, "clear again")
	if again.body["changed"] != false {
		t.Fatalf("clear with nothing to clear: %s", again.raw)
	}

	a.caughtUp()
	list = a.call(http.MethodGet, "/v1/users?lock=locked", "", nil)
	secWant(t, list, 200, "list locked users after clear")
	if ids := secIDs(t, list.body); len(ids) != 0 || list.body["total"] != 0.0 {
		t.Fatalf("locked users after clear: %s, want none", list.raw)
	}
	details = a.call(http.MethodGet, "/v1/users/"+id, "", nil)
	secWant(t, details, 200, "details after clear")
	if details.body["locked"] != false || details.body["locked_until"] != nil || details.body["last_login_at"] == nil {
		t.Fatalf("details after clear and login: %s", details.raw)
	}

	// A temporary lock ends by itself: once it has, the user is no longer
	// "locked" anywhere, the lock=locked filter included.
	t.Run("expired lock", func(t *testing.T) {
		a := a.with(t)
		const email = "brief-lock@example.com"
		id := a.user(email, "", "", role.Member).String()
		secWant(t, a.call(http.MethodPut, "/v1/settings/lockout", `{"max_failures":1,"window_seconds":900,"lock_duration_seconds":1,"permanent_after":0}`, nil), 200, "set a 1 s lock")
		secProblem(t, secLogin(a, email, "wrong password", ""), 401, "unauthenticated", "", "the one wrong password")
		st := a.call(http.MethodGet, "/v1/users/"+id+"/lockout", "", nil)
		secWant(t, st, 200, "lock state")
		if st.body["locked"] != true {
			t.Fatalf("not locked after 1 failure under max_failures 1: %s", st.raw)
		}
		until := secTime(t, st.body["until"], "until")
		a.caughtUp()
		if ids := secIDs(t, a.call(http.MethodGet, "/v1/users?lock=locked", "", nil).body); !slices.Equal(ids, []string{id}) {
			t.Fatalf("while locked, lock=locked lists %v, want [%s]", ids, id)
		}
		time.Sleep(time.Until(until) + 200*time.Millisecond)

		st = a.call(http.MethodGet, "/v1/users/"+id+"/lockout", "", nil)
		secWant(t, st, 200, "lock state after the lock ended")
		if st.body["locked"] != false || st.body["until"] != nil {
			t.Fatalf("lock state after the lock ended: %s", st.raw)
		}
		details := a.call(http.MethodGet, "/v1/users/"+id, "", nil)
		secWant(t, details, 200, "details after the lock ended")
		if details.body["locked"] != false || details.body["locked_until"] != nil {
			t.Fatalf("details after the lock ended: %s", details.raw)
		}
		list := a.call(http.MethodGet, "/v1/users?lock=locked", "", nil)
		secWant(t, list, 200, "lock=locked after the lock ended")
		if ids := secIDs(t, list.body); len(ids) != 0 || list.body["total"] != 0.0 {
			t.Errorf("BUG: after the temporary lock ended, GET /v1/users?lock=locked still finds the user: %s", list.raw)
		}
		// And the user can log in again without an admin.
		secWant(t, secLogin(a, email, testPassword, ""), 200, "login after the lock ended")
	})
}

// TestLoginHistoryOverHTTP: every attempt is in the user's login history,
// newest first, with its outcome, reason and parsed client, paged by
// cursor; the user list shows the last login.
func TestLoginHistoryOverHTTP(t *testing.T) {
	a := newAPI(t)
	const email = "historian@example.com"
	id := a.user(email, "", "", role.Member).String()

	for i := range 2 {
		r := secLogin(a, email, testPassword, secChromeWindows)
		secWant(t, r, 200, fmt.Sprintf("login #%d", i+1))
	}
	secProblem(t, secLogin(a, email, "not the password", secSafariIPhone), 401, "unauthenticated", "", "wrong password")
	secWant(t, a.call(http.MethodPost, "/v1/users/"+id+"/suspend", `{"reason":"investigation"}`, nil), 200, "suspend")
	secProblem(t, secLogin(a, email, testPassword, secSafariIPhone), 401, "unauthenticated", "", "login while suspended")

	a.caughtUp()
	type want struct {
		success         bool
		reason          string
		ua              string
		device, browser string
		os              string
	}
	chrome := want{success: true, ua: secChromeWindows, device: "desktop", browser: "Chrome 120", os: "Windows"}
	newestFirst := []want{
		{reason: "suspended", ua: secSafariIPhone, device: "mobile", browser: "Safari 17", os: "iOS"},
		{reason: "wrong_password", ua: secSafariIPhone, device: "mobile", browser: "Safari 17", os: "iOS"},
		chrome,
		chrome,
	}

	var entries []map[string]any
	cursor := ""
	for page := 1; ; page++ {
		path := "/v1/users/" + id + "/login-history?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := a.call(http.MethodGet, path, "", nil)
		secWant(t, r, 200, fmt.Sprintf("login history page %d", page))
		items := secObjects(t, r.body, "items")
		if len(items) != 2 {
			t.Fatalf("login history page %d: %d entries, want 2: %s", page, len(items), r.raw)
		}
		entries = append(entries, items...)
		next, _ := r.body["next_cursor"].(string)
		if page == 1 && next == "" {
			t.Fatalf("first page of 2 out of 4 has no next_cursor: %s", r.raw)
		}
		if next == "" {
			if r.body["next_cursor"] != nil {
				t.Fatalf("last page: next_cursor %v, want null", r.body["next_cursor"])
			}
			break
		}
		if page > 2 {
			t.Fatalf("more than 2 pages of 2 for 4 attempts: %s", r.raw)
		}
		cursor = next
	}
	if len(entries) != len(newestFirst) {
		t.Fatalf("%d entries, want %d", len(entries), len(newestFirst))
	}
	var prev time.Time
	for i, e := range entries {
		w := newestFirst[i]
		at := secTime(t, e["at"], fmt.Sprintf("entry %d at", i))
		if i > 0 && at.After(prev) {
			t.Fatalf("entry %d at %v is newer than entry %d at %v: not newest first", i, at, i-1, prev)
		}
		prev = at
		reason, hasReason := e["reason"]
		if w.reason == "" && hasReason || w.reason != "" && reason != w.reason {
			t.Fatalf("entry %d: reason %v (present %v), want %q: %v", i, reason, hasReason, w.reason, e)
		}
		if e["success"] != w.success || e["ip"] != "127.0.0.1" || e["user_agent"] != w.ua ||
			e["device"] != w.device || e["browser"] != w.browser || e["os"] != w.os {
			t.Fatalf("entry %d: %v, want %+v from 127.0.0.1", i, e, w)
		}
	}
	newestSuccess := secTime(t, entries[2]["at"], "newest success")

	// The list shows the last login; sorted by it, descending, this user
	// (who logged in after the bootstrapped admin) comes first.
	list := a.call(http.MethodGet, "/v1/users?sort=-last_login", "", nil)
	secWant(t, list, 200, "list by last login")
	items := secObjects(t, list.body, "items")
	if len(items) < 2 || items[0]["id"] != id {
		t.Fatalf("sorted by -last_login, %s is not first: %s", id, list.raw)
	}
	// The user list keeps times in whole milliseconds (readmodels/users).
	if got := secTime(t, items[0]["last_login_at"], "last_login_at"); !got.Equal(newestSuccess.Truncate(time.Millisecond)) {
		t.Fatalf("last_login_at %v, want the newest success %v", got, newestSuccess)
	}
	if items[0]["status"] != "suspended" {
		t.Fatalf("status %v, want suspended", items[0]["status"])
	}

	for _, bad := range []string{"garbage", "AAAAAAAAAA!"} {
		r := a.call(http.MethodGet, "/v1/users/"+id+"/login-history?cursor="+url.QueryEscape(bad), "", nil)
		secProblem(t, r, 400, "invalid-parameter", "cursor", "invalid cursor "+bad)
	}
	secProblem(t, a.call(http.MethodGet, "/v1/users/"+id+"/login-history?limit=0", "", nil), 400, "invalid-parameter", "limit", "limit 0")
}

// TestPermissionsOverHTTP: a user's effective permissions name where each
// comes from (a direct role, the organization role, a team role), and
// explain answers the Missing Permissions checklist.
func TestPermissionsOverHTTP(t *testing.T) {
	f := newAuthzFixture(t)
	team := f.team("org-a").String()
	id := f.user("perms@example.com", "org-a", role.OrgAdmin, role.Author).String()
	join := f.call(http.MethodPut, "/v1/users/"+id+"/teams/"+team, `{"role":"expert"}`, nil)
	secWant(t, join, 200, "join the team")
	f.caughtUp()

	r := f.call(http.MethodGet, "/v1/users/"+id+"/permissions", "", nil)
	secWant(t, r, 200, "permissions")
	if r.body["user_id"] != id || r.body["system_admin"] != false || r.body["organization_id"] != "org-a" {
		t.Fatalf("permissions: %s", r.raw)
	}
	wantGrants := []string{"role:author", "org_role:org_admin@org-a", "team_role:expert@" + team}
	if got := secGrants(t, r.body, "grants"); !slices.Equal(got, wantGrants) {
		t.Fatalf("grants %v, want %v", got, wantGrants)
	}
	sources := secSources(t, r.body)
	for perm, want := range map[string][]string{
		"activities:design": {"role:author"},
		"activities:run":    {"role:author", "org_role:org_admin@org-a", "team_role:expert@" + team},
		"workspace:access":  {"role:author", "org_role:org_admin@org-a", "team_role:expert@" + team},
		"users:write":       {"org_role:org_admin@org-a"},
		"users:read":        {"org_role:org_admin@org-a"},
		"org:manage":        {"org_role:org_admin@org-a"},
		"reports:read":      {"org_role:org_admin@org-a"},
		"mentoring:use":     {"team_role:expert@" + team},
	} {
		if !slices.Equal(sources[perm], want) {
			t.Errorf("%s: sources %v, want %v", perm, sources[perm], want)
		}
	}
	if len(sources) != 8 {
		t.Errorf("permissions %v: want exactly the 8 above", sources)
	}
	perms := secObjects(t, r.body, "permissions")
	if !slices.IsSortedFunc(perms, func(x, y map[string]any) int {
		return strings.Compare(x["permission"].(string), y["permission"].(string))
	}) {
		t.Errorf("permissions not sorted: %s", r.raw)
	}

	explain := func(userID, query string) reply {
		t.Helper()
		r := f.call(http.MethodGet, "/v1/users/"+userID+"/permissions/explain?"+query, "", nil)
		secWant(t, r, 200, "explain "+query)
		return r
	}

	// Not held: which roles would give it, and every check says no.
	ex := explain(id, "permission=commerce:sell")
	if ex.body["permission"] != "commerce:sell" || ex.body["known"] != true || ex.body["held"] != false {
		t.Fatalf("explain commerce:sell: %s", ex.raw)
	}
	if g := secStrings(t, ex.body, "granted_by"); !slices.Contains(g, role.Vendor) || !slices.Contains(g, role.SystemAdmin) || slices.Contains(g, role.Author) {
		t.Fatalf("commerce:sell granted_by %v, want vendor and system_admin only among built-ins", g)
	}
	if s := secGrants(t, ex.body, "sources"); len(s) != 0 {
		t.Fatalf("commerce:sell sources %v, want none", s)
	}
	checks := secChecks(t, ex.body)
	for name, ok := range map[string]bool{"known_permission": true, "role_assignments": false, "organization_membership": false, "team_membership": false, "permission_inheritance": false} {
		if got, present := checks[name]; !present || got != ok {
			t.Fatalf("commerce:sell check %s = %v (present %v), want %v: %s", name, got, present, ok, ex.raw)
		}
	}
	if _, present := checks["organization_scope"]; present {
		t.Fatalf("organization_scope without org: %s", ex.raw)
	}

	// Held through each kind of grant.
	for _, tc := range []struct {
		perm, check, source string
	}{
		{"activities:design", "role_assignments", "role:author"},
		{"users:write", "organization_membership", "org_role:org_admin@org-a"},
		{"mentoring:use", "team_membership", "team_role:expert@" + team},
	} {
		ex := explain(id, "permission="+tc.perm)
		checks := secChecks(t, ex.body)
		if ex.body["held"] != true || !checks[tc.check] || !checks["permission_inheritance"] || len(secStrings(t, ex.body, "granted_by")) != 0 {
			t.Fatalf("explain %s: %s", tc.perm, ex.raw)
		}
		if s := secGrants(t, ex.body, "sources"); !slices.Equal(s, []string{tc.source}) {
			t.Fatalf("explain %s: sources %v, want %s", tc.perm, s, tc.source)
		}
	}

	// Scoped: an org admin's permissions apply in its own organization only.
	ex = explain(id, "permission=users:write&org=org-b")
	checks = secChecks(t, ex.body)
	if ex.body["held"] != false || ex.body["organization_id"] != "org-b" || checks["organization_scope"] != false || !checks["organization_membership"] {
		t.Fatalf("explain users:write in org-b: %s", ex.raw)
	}
	if _, present := checks["organization_scope"]; !present {
		t.Fatalf("no organization_scope check with org: %s", ex.raw)
	}
	ex = explain(id, "permission=users:write&org=org-a")
	if checks := secChecks(t, ex.body); ex.body["held"] != true || !checks["organization_scope"] {
		t.Fatalf("explain users:write in org-a: %s", ex.raw)
	}
	// A System Admin's apply everywhere.
	ex = explain(f.adminID.String(), "permission=users:write&org=org-b")
	if checks := secChecks(t, ex.body); ex.body["held"] != true || !checks["organization_scope"] || !checks["role_assignments"] {
		t.Fatalf("explain users:write in org-b for a System Admin: %s", ex.raw)
	}
	if s := secGrants(t, ex.body, "sources"); !slices.Equal(s, []string{"role:system_admin"}) {
		t.Fatalf("System Admin users:write sources %v", s)
	}

	// A permission the service does not know.
	ex = explain(id, "permission=wizardry:cast")
	checks = secChecks(t, ex.body)
	if ex.body["known"] != false || ex.body["held"] != false || checks["known_permission"] || len(secStrings(t, ex.body, "granted_by")) != 0 {
		t.Fatalf("explain an unknown permission: %s", ex.raw)
	}

	// Bad requests.
	secProblem(t, f.call(http.MethodGet, "/v1/users/"+id+"/permissions/explain", "", nil), 400, "validation-error", "permission", "explain without permission")
	secProblem(t, f.call(http.MethodGet, "/v1/users/"+id+"/permissions/explain?permission=", "", nil), 400, "validation-error", "permission", "explain with an empty permission")
	secProblem(t, f.call(http.MethodGet, "/v1/users/"+id+"/permissions/explain?permission=users:read&scope=org-a", "", nil), 400, "invalid-parameter", "scope", "explain with an unknown parameter")
}

// TestCustomRoleOverHTTP: a custom role is created, changed, assigned,
// counted and deleted; a deleted role gives nothing and its key is never
// reused.
func TestCustomRoleOverHTTP(t *testing.T) {
	a := newAPI(t)
	created := a.call(http.MethodPost, "/v1/roles", `{"key":"support","name":"Support","description":"Answers tickets","permissions":["users:read"]}`, nil)
	secWant(t, created, 201, "create support")
	if created.body["key"] != "support" || created.body["changed"] != true || created.header.Get("Location") != "/v1/roles/support" {
		t.Fatalf("create support: %s %v", created.raw, created.header)
	}
	edited := a.call(http.MethodPatch, "/v1/roles/support", `{"name":"Customer Support","permissions":["users:read","reports:read"]}`, map[string]string{"If-Match": created.header.Get("ETag")})
	secWant(t, edited, 200, "edit support")
	if edited.body["changed"] != true || edited.body["revision"] == created.body["revision"] {
		t.Fatalf("edit support: %s", edited.raw)
	}
	// The If-Match of the edit is stale now.
	secProblem(t, a.call(http.MethodPatch, "/v1/roles/support", `{"name":"Again"}`, map[string]string{"If-Match": created.header.Get("ETag")}), 412, "precondition-failed", "", "stale If-Match")

	holder := a.user("helper@example.com", "", "", role.Member).String()
	assign := a.call(http.MethodPatch, "/v1/users/"+holder, `{"roles":["member","support"]}`, nil)
	secWant(t, assign, 200, "assign support")
	a.caughtUp()

	got := a.call(http.MethodGet, "/v1/roles/support", "", nil)
	secWant(t, got, 200, "get support")
	if got.body["name"] != "Customer Support" || got.body["description"] != "Answers tickets" || got.body["built_in"] != false || got.body["deleted"] != false {
		t.Fatalf("get support: %s", got.raw)
	}
	if p := secStrings(t, got.body, "permissions"); !slices.Equal(p, []string{"reports:read", "users:read"}) {
		t.Fatalf("support permissions %v", p)
	}

	perms := a.call(http.MethodGet, "/v1/users/"+holder+"/permissions", "", nil)
	secWant(t, perms, 200, "holder's permissions")
	sources := secSources(t, perms.body)
	if !slices.Equal(sources["users:read"], []string{"role:support"}) || !slices.Equal(sources["reports:read"], []string{"role:support"}) ||
		!slices.Equal(sources["activities:run"], []string{"role:member"}) {
		t.Fatalf("holder's permissions: %v", sources)
	}

	list := a.call(http.MethodGet, "/v1/roles", "", nil)
	secWant(t, list, 200, "list roles")
	var found map[string]any
	for _, ro := range secObjects(t, list.body, "items") {
		if ro["key"] == "support" {
			found = ro
		}
	}
	if found == nil || found["name"] != "Customer Support" || found["built_in"] != false {
		t.Fatalf("role list without support: %s", list.raw)
	}

	counts := func(what string) map[string]float64 {
		t.Helper()
		r := a.call(http.MethodGet, "/v1/roles/distribution", "", nil)
		secWant(t, r, 200, what)
		out := map[string]float64{}
		for _, it := range secObjects(t, r.body, "items") {
			out[it["key"].(string)], _ = it["users"].(float64)
		}
		return out
	}
	dist := counts("distribution")
	if n, ok := dist["support"]; !ok || n != 1 {
		t.Fatalf("distribution: support %v (listed %v), want 1: %v", n, ok, dist)
	}
	if dist[role.SystemAdmin] != 1 || dist[role.Member] != 1 {
		t.Fatalf("distribution %v: want one system_admin and one member", dist)
	}

	deleted := a.call(http.MethodDelete, "/v1/roles/support", "", nil)
	secWant(t, deleted, 200, "delete support")
	if deleted.body["changed"] != true {
		t.Fatalf("delete support: %s", deleted.raw)
	}
	a.caughtUp()

	perms = a.call(http.MethodGet, "/v1/users/"+holder+"/permissions", "", nil)
	secWant(t, perms, 200, "holder's permissions after delete")
	sources = secSources(t, perms.body)
	if _, ok := sources["users:read"]; ok {
		t.Fatalf("users:read still held after its role was deleted: %v", sources)
	}
	if _, ok := sources["reports:read"]; ok {
		t.Fatalf("reports:read still held after its role was deleted: %v", sources)
	}
	if !slices.Equal(sources["activities:run"], []string{"role:member"}) {
		t.Fatalf("holder lost member's permissions: %v", sources)
	}
	ex := a.call(http.MethodGet, "/v1/users/"+holder+"/permissions/explain?permission=users:read", "", nil)
	secWant(t, ex, 200, "explain users:read after delete")
	if ex.body["held"] != false || !slices.Equal(secGrants(t, ex.body, "unresolved"), []string{"role:support"}) || slices.Contains(secStrings(t, ex.body, "granted_by"), "support") {
		t.Fatalf("explain users:read after delete: %s", ex.raw)
	}

	list = a.call(http.MethodGet, "/v1/roles", "", nil)
	secWant(t, list, 200, "list roles after delete")
	for _, ro := range secObjects(t, list.body, "items") {
		if ro["key"] == "support" {
			t.Fatalf("deleted role still listed: %s", list.raw)
		}
	}
	list = a.call(http.MethodGet, "/v1/roles?include_deleted=true", "", nil)
	secWant(t, list, 200, "list roles with deleted")
	found = nil
	for _, ro := range secObjects(t, list.body, "items") {
		if ro["key"] == "support" {
			found = ro
		}
	}
	if found == nil || found["deleted"] != true {
		t.Fatalf("include_deleted does not show support deleted: %s", list.raw)
	}
	if _, ok := counts("distribution after delete")["support"]; ok {
		t.Fatal("the distribution still counts a deleted role")
	}

	secProblem(t, a.call(http.MethodPost, "/v1/roles", `{"key":"support","name":"Support again","permissions":["users:read"]}`, nil), 409, "conflict", "key", "create support again")
	secProblem(t, a.call(http.MethodPost, "/v1/roles", `{"key":"member","name":"Shadow","permissions":["users:read"]}`, nil), 409, "conflict", "key", "create member")
	secProblem(t, a.call(http.MethodPost, "/v1/roles", `{"key":"Not A Key","name":"Bad","permissions":["users:read"]}`, nil), 400, "validation-error", "key", "create a bad key")
	secProblem(t, a.call(http.MethodPatch, "/v1/roles/member", `{"name":"Renamed"}`, nil), 409, "conflict", "key", "rename a built-in role")
	secProblem(t, a.call(http.MethodDelete, "/v1/roles/support", "", nil), 404, "not-found", "", "delete support again")
}

// TestOrgsOverHTTP: organizations and teams over HTTP, and a user's place
// in them through joins, team deletion, transfer and archival.
func TestOrgsOverHTTP(t *testing.T) {
	a := newAPI(t)
	created := a.call(http.MethodPost, "/v1/orgs", `{"id":"acme","name":"Acme"}`, nil)
	secWant(t, created, 201, "create acme")
	if created.body["id"] != "acme" || created.header.Get("Location") != "/v1/orgs/acme" || created.body["changed"] != true {
		t.Fatalf("create acme: %s %v", created.raw, created.header)
	}
	secWant(t, a.call(http.MethodPost, "/v1/orgs", `{"id":"globex","name":"Globex"}`, nil), 201, "create globex")
	secProblem(t, a.call(http.MethodPost, "/v1/orgs", `{"id":"acme","name":"Acme twice"}`, nil), 409, "conflict", "", "create acme again")
	secProblem(t, a.call(http.MethodPost, "/v1/orgs", `{"id":"acme","name":"Acme twice"}`, nil), 409, "conflict", "id", "create acme again: field")
	renamed := a.call(http.MethodPatch, "/v1/orgs/acme", `{"name":"Acme Corp"}`, nil)
	secWant(t, renamed, 200, "rename acme")
	if renamed.body["changed"] != true {
		t.Fatalf("rename acme: %s", renamed.raw)
	}
	newTeam := func(name string) string {
		t.Helper()
		r := a.call(http.MethodPost, "/v1/orgs/acme/teams", `{"name":"`+name+`"}`, nil)
		secWant(t, r, 201, "create team "+name)
		teamID, _ := r.body["team_id"].(string)
		if teamID == "" || r.header.Get("Location") != "/v1/orgs/acme/teams/"+teamID {
			t.Fatalf("create team %s: %s %v", name, r.raw, r.header)
		}
		return teamID
	}
	red, blue := newTeam("Red"), newTeam("Blue")

	u := a.call(http.MethodPost, "/v1/users", `{"email":"worker@example.com","first_name":"Wo","password":"`+testPassword+`","organization_id":"acme","roles":["author"]}`, nil)
	secWant(t, u, 201, "create worker")
	id := u.body["id"].(string)
	for _, team := range []string{red, blue} {
		r := a.call(http.MethodPut, "/v1/users/"+id+"/teams/"+team, `{"role":"expert"}`, nil)
		secWant(t, r, 200, "join team "+team)
		if r.body["changed"] != true {
			t.Fatalf("join team %s: %s", team, r.raw)
		}
	}
	a.caughtUp()

	type teamCount struct {
		id, name string
		members  float64
	}
	org := func(what string) (map[string]any, []teamCount) {
		t.Helper()
		r := a.call(http.MethodGet, "/v1/orgs/acme", "", nil)
		secWant(t, r, 200, what)
		var teams []teamCount
		for _, tm := range secObjects(t, r.body, "teams") {
			n, _ := tm["members"].(float64)
			teams = append(teams, teamCount{tm["id"].(string), tm["name"].(string), n})
		}
		return r.body, teams
	}
	body, teams := org("get acme")
	if body["name"] != "Acme Corp" || body["archived"] != false || body["members"] != 1.0 {
		t.Fatalf("acme: %v", body)
	}
	if want := []teamCount{{blue, "Blue", 1}, {red, "Red", 1}}; !slices.Equal(teams, want) {
		t.Fatalf("acme teams %v, want %v", teams, want)
	}
	inTeam := func(team, what string) []string {
		t.Helper()
		r := a.call(http.MethodGet, "/v1/users?team="+team, "", nil)
		secWant(t, r, 200, what)
		return secIDs(t, r.body)
	}
	if ids := inTeam(red, "users in red"); !slices.Equal(ids, []string{id}) {
		t.Fatalf("users in red: %v, want [%s]", ids, id)
	}

	secWant(t, a.call(http.MethodDelete, "/v1/orgs/acme/teams/"+red, "", nil), 200, "delete red")
	a.caughtUp()
	details := a.call(http.MethodGet, "/v1/users/"+id, "", nil)
	secWant(t, details, 200, "worker after red was deleted")
	if tm := secObjects(t, details.body, "teams"); len(tm) != 1 || tm[0]["id"] != blue || tm[0]["role"] != "expert" {
		t.Fatalf("worker's teams after red was deleted: %s", details.raw)
	}
	if ids := inTeam(red, "users in red after delete"); len(ids) != 0 {
		t.Fatalf("users in the deleted team: %v", ids)
	}
	// The deleted team no longer gives its role: the details, the team
	// filter and the member counts say the user left it, and a deleted
	// custom role gives nothing either.
	t.Run("deleted team grants nothing", func(t *testing.T) {
		a := a.with(t)
		perms := a.call(http.MethodGet, "/v1/users/"+id+"/permissions", "", nil)
		secWant(t, perms, 200, "worker's permissions after red was deleted")
		if g := secGrants(t, perms.body, "grants"); slices.Contains(g, "team_role:expert@"+red) {
			t.Errorf("BUG: the deleted team %s still grants its role: grants %v", red, g)
		}
		for perm, sources := range secSources(t, perms.body) {
			if slices.Contains(sources, "team_role:expert@"+red) {
				t.Errorf("BUG: %s still comes from the deleted team %s: %v", perm, red, sources)
			}
		}
	})
	if _, teams := org("acme after delete"); !slices.Equal(teams, []teamCount{{blue, "Blue", 1}}) {
		t.Fatalf("acme teams after delete: %v", teams)
	}
	// A deleted team takes no new members.
	secProblem(t, a.call(http.MethodPut, "/v1/users/"+id+"/teams/"+red, `{"role":"member"}`, nil), 400, "validation-error", "team_id", "join the deleted team")

	moved := a.call(http.MethodPost, "/v1/users/"+id+"/transfer", `{"organization_id":"globex","handling":"reset_roles"}`, nil)
	secWant(t, moved, 200, "transfer to globex")
	if moved.body["changed"] != true {
		t.Fatalf("transfer: %s", moved.raw)
	}
	a.caughtUp()
	details = a.call(http.MethodGet, "/v1/users/"+id, "", nil)
	secWant(t, details, 200, "worker after transfer")
	if details.body["organization_id"] != "globex" || details.body["org_role"] != "member" ||
		len(secObjects(t, details.body, "teams")) != 0 || len(secStrings(t, details.body, "roles")) != 0 {
		t.Fatalf("worker after transfer: %s", details.raw)
	}
	if ids := inTeam(blue, "users in blue after transfer"); len(ids) != 0 {
		t.Fatalf("users in blue after transfer: %v", ids)
	}
	if body, teams := org("acme after transfer"); body["members"] != 0.0 || !slices.Equal(teams, []teamCount{{blue, "Blue", 0}}) {
		t.Fatalf("acme after transfer: %v %v", body, teams)
	}
	perms := a.call(http.MethodGet, "/v1/users/"+id+"/permissions", "", nil)
	secWant(t, perms, 200, "worker's permissions after transfer")
	if g := secGrants(t, perms.body, "grants"); !slices.Equal(g, []string{"org_role:member@globex"}) {
		t.Fatalf("worker's grants after transfer: %v", g)
	}
	same := a.call(http.MethodPost, "/v1/users/"+id+"/transfer", `{"organization_id":"globex"}`, nil)
	secProblem(t, same, 409, "conflict", "", "transfer to the same org")
	if same.body["field"] != "organization_id" {
		t.Errorf("BUG: a transfer to the user's own organization names the field %v, not the request's organization_id: %s", same.body["field"], same.raw)
	}

	archived := a.call(http.MethodPost, "/v1/orgs/acme/archive", "", nil)
	secWant(t, archived, 200, "archive acme")
	if archived.body["changed"] != true {
		t.Fatalf("archive acme: %s", archived.raw)
	}
	late := a.call(http.MethodPost, "/v1/users", `{"email":"late@example.com","send_invite":true,"organization_id":"acme"}`, nil)
	if late.status < 400 || late.status >= 500 {
		t.Fatalf("create a user in an archived org: %d %s", late.status, late.raw)
	}
	secProblem(t, late, late.status, "", "organization_id", "create a user in an archived org")
	secProblem(t, a.call(http.MethodPost, "/v1/users/"+id+"/transfer", `{"organization_id":"acme"}`, nil), 409, "conflict", "organization_id", "transfer into an archived org")

	a.caughtUp()
	all := a.call(http.MethodGet, "/v1/orgs?include_archived=true", "", nil)
	secWant(t, all, 200, "orgs with archived")
	var acme map[string]any
	for _, o := range secObjects(t, all.body, "items") {
		if o["id"] == "acme" {
			acme = o
		}
	}
	if acme == nil || acme["archived"] != true || acme["name"] != "Acme Corp" || all.body["total"] != 2.0 {
		t.Fatalf("orgs with archived: %s", all.raw)
	}
	live := a.call(http.MethodGet, "/v1/orgs", "", nil)
	secWant(t, live, 200, "orgs")
	if ids := secIDs(t, live.body); !slices.Equal(ids, []string{"globex"}) {
		t.Fatalf("live orgs %v, want [globex]", ids)
	}
}
