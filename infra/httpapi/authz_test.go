package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/httpapi"
	"github.com/clarynext/usermgmt/infra/session"
)

// The principals of the authorization table, in column order.
const (
	sysAdmin = iota
	ownOrgAdmin
	otherOrgAdmin
	member
	noToken
	expiredToken
	suspendedUser
	principals
)

var principalNames = [principals]string{"system admin", "org admin, own org", "org admin, other org", "member", "no token", "expired token", "suspended after login"}

// authzFixture holds what the table's rows address.
type authzFixture struct {
	*api
	tokens [principals]string
	seq    *atomic.Int64
}

func (f *authzFixture) next() int64 { return f.seq.Add(1) }

// target creates a fresh member of org-a for one request.
func (f *authzFixture) target() uuid.UUID {
	return f.user(fmt.Sprintf("target-%d@example.com", f.next()), "org-a", "member", "member")
}

// invitee creates an invited user in org-a.
func (f *authzFixture) invitee() uuid.UUID {
	f.t.Helper()
	res, err := f.users.Create(context.Background(), commands.System("test"), commands.CreateUser{
		Email: fmt.Sprintf("invitee-%d@example.com", f.next()), OrgID: "org-a", Roles: []string{"member"}, SendInvite: true,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.ID
}

func (f *authzFixture) team(orgID string) uuid.UUID {
	f.t.Helper()
	res, err := f.orgs.CreateTeam(context.Background(), commands.System("test"), orgID, fmt.Sprintf("Team %d", f.next()))
	if err != nil {
		f.t.Fatal(err)
	}
	return res.TeamID
}

func newAuthzFixture(t *testing.T) *authzFixture {
	a := newAPI(t)
	f := &authzFixture{api: a, seq: new(atomic.Int64)}
	f.org("org-a", "Org A")
	f.org("org-b", "Org B")
	// The org admins also hold Member and Author, so they may grant those.
	f.user("admin-a@example.com", "org-a", role.OrgAdmin, role.Member, role.Author)
	f.user("admin-b@example.com", "org-b", role.OrgAdmin, role.Member, role.Author)
	memberID := f.user("member-a@example.com", "org-a", "member", role.Member)
	suspended := f.user("suspended-a@example.com", "org-a", role.OrgAdmin, role.Member)
	f.tokens[sysAdmin] = a.token
	f.tokens[ownOrgAdmin] = f.login("admin-a@example.com")
	f.tokens[otherOrgAdmin] = f.login("admin-b@example.com")
	f.tokens[member] = f.login("member-a@example.com")
	// A session whose absolute lifetime ended an hour ago.
	past := session.New(f.rdb, f.prefix, session.Config{Now: func() time.Time { return time.Now().Add(-13 * time.Hour) }})
	expired, _, err := past.Create(context.Background(), memberID, time.Now().Add(-13*time.Hour), session.Info{})
	if err != nil {
		t.Fatal(err)
	}
	f.tokens[expiredToken] = expired
	// Suspended straight through the command handler, so no HTTP handler
	// revoked the session: authenticate must still refuse it.
	f.tokens[suspendedUser] = f.login("suspended-a@example.com")
	if _, err := f.users.Suspend(context.Background(), commands.System("test"), suspended, nil, "test"); err != nil {
		t.Fatal(err)
	}
	f.caughtUp()
	return f
}

// authzRow is one endpoint: how to build a request for a principal, and
// the status each principal gets.
type authzRow struct {
	name  string
	build func(f *authzFixture) (method, path, body string)
	want  [principals]int
}

// authzHeaders adds request headers to a row, by name.
var authzHeaders = map[string]map[string]string{
	// A stale If-Match keeps the callers' passwords (and sessions) as they
	// are: 412 shows the request got past authorization.
	"change own password": {"If-Match": `"999"`},
}

// admins lists the statuses for (system admin, own-org admin, other-org
// admin, member); the three unauthenticated columns are always 401.
func admins(sys, own, other, mem int) [principals]int {
	return [principals]int{sys, own, other, mem, 401, 401, 401}
}

func userRow(name, method, suffix, body string, ok int) authzRow {
	return authzRow{name: name, want: admins(ok, ok, 404, 403), build: func(f *authzFixture) (string, string, string) {
		return method, "/v1/users/" + f.target().String() + suffix, body
	}}
}

var authzRows = []authzRow{
	{"create user", func(f *authzFixture) (string, string, string) {
		return "POST", "/v1/users", fmt.Sprintf(`{"email":"new-%d@example.com","send_invite":true}`, f.next())
	}, admins(201, 201, 201, 403)},
	{"list users", func(*authzFixture) (string, string, string) { return "GET", "/v1/users", "" }, admins(200, 200, 200, 403)},
	userRow("get user", "GET", "", "", 200),
	userRow("edit user", "PATCH", "", `{"first_name":"Edited"}`, 200),
	userRow("delete user", "DELETE", "", "", 200),
	userRow("suspend user", "POST", "/suspend", `{"reason":"test"}`, 200),
	{"reactivate user", func(f *authzFixture) (string, string, string) {
		id := f.target()
		if _, err := f.users.Suspend(context.Background(), commands.System("test"), id, nil, ""); err != nil {
			f.t.Fatal(err)
		}
		return "POST", "/v1/users/" + id.String() + "/reactivate", ""
	}, admins(200, 200, 404, 403)},
	userRow("add note", "POST", "/notes", `{"text":"hello"}`, 201),
	userRow("login history", "GET", "/login-history", "", 200),
	userRow("lock state", "GET", "/lockout", "", 200),
	userRow("clear lockout", "POST", "/lockout/clear", "", 200),
	userRow("send reset email", "POST", "/password/reset-email", "", 202),
	{"resend invitation", func(f *authzFixture) (string, string, string) {
		return "POST", "/v1/users/" + f.invitee().String() + "/invitation/resend", ""
	}, admins(202, 202, 404, 403)},
	{"revoke invitation", func(f *authzFixture) (string, string, string) {
		return "DELETE", "/v1/users/" + f.invitee().String() + "/invitation", ""
	}, admins(200, 200, 404, 403)},
	userRow("permissions", "GET", "/permissions", "", 200),
	userRow("explain permission", "GET", "/permissions/explain?permission=users:read", "", 200),
	userRow("set org role", "PUT", "/org-role", `{"role":"author"}`, 200),
	{"join team", func(f *authzFixture) (string, string, string) {
		return "PUT", "/v1/users/" + f.target().String() + "/teams/" + f.team("org-a").String(), `{"role":"member"}`
	}, admins(200, 200, 404, 403)},
	{"leave team", func(f *authzFixture) (string, string, string) {
		id, team := f.target(), f.team("org-a")
		if _, err := f.users.JoinTeam(context.Background(), commands.System("test"), id, nil, team, "member"); err != nil {
			f.t.Fatal(err)
		}
		return "DELETE", "/v1/users/" + id.String() + "/teams/" + team.String(), ""
	}, admins(200, 200, 404, 403)},
	{"transfer user", func(f *authzFixture) (string, string, string) {
		return "POST", "/v1/users/" + f.target().String() + "/transfer", `{"organization_id":"org-b"}`
	}, admins(200, 403, 403, 403)},

	{"list roles", func(*authzFixture) (string, string, string) { return "GET", "/v1/roles", "" }, admins(200, 200, 200, 403)},
	{"get role", func(*authzFixture) (string, string, string) { return "GET", "/v1/roles/member", "" }, admins(200, 200, 200, 403)},
	{"create role", func(f *authzFixture) (string, string, string) {
		return "POST", "/v1/roles", fmt.Sprintf(`{"key":"custom-%d","name":"Custom","permissions":["users:read"]}`, f.next())
	}, admins(201, 403, 403, 403)},
	{"edit role", func(f *authzFixture) (string, string, string) {
		return "PATCH", "/v1/roles/" + f.customRole(), `{"name":"Renamed"}`
	}, admins(200, 403, 403, 403)},
	{"delete role", func(f *authzFixture) (string, string, string) {
		return "DELETE", "/v1/roles/" + f.customRole(), ""
	}, admins(200, 403, 403, 403)},
	{"role distribution", func(*authzFixture) (string, string, string) { return "GET", "/v1/roles/distribution", "" }, admins(200, 200, 200, 403)},

	{"list orgs", func(*authzFixture) (string, string, string) { return "GET", "/v1/orgs", "" }, admins(200, 200, 200, 403)},
	{"create org", func(f *authzFixture) (string, string, string) {
		return "POST", "/v1/orgs", fmt.Sprintf(`{"id":"org-new-%d","name":"New"}`, f.next())
	}, admins(201, 403, 403, 403)},
	{"get org", func(*authzFixture) (string, string, string) { return "GET", "/v1/orgs/org-a", "" }, admins(200, 200, 404, 403)},
	{"rename org", func(f *authzFixture) (string, string, string) {
		return "PATCH", "/v1/orgs/org-a", fmt.Sprintf(`{"name":"Org A %d"}`, f.next())
	}, admins(200, 200, 404, 403)},
	{"archive org", func(f *authzFixture) (string, string, string) {
		id := fmt.Sprintf("org-old-%d", f.next())
		f.org(id, "Old")
		return "POST", "/v1/orgs/" + id + "/archive", ""
	}, admins(200, 403, 403, 403)},
	{"create team", func(f *authzFixture) (string, string, string) {
		return "POST", "/v1/orgs/org-a/teams", fmt.Sprintf(`{"name":"New team %d"}`, f.next())
	}, admins(201, 201, 404, 403)},
	{"rename team", func(f *authzFixture) (string, string, string) {
		return "PATCH", "/v1/orgs/org-a/teams/" + f.team("org-a").String(), fmt.Sprintf(`{"name":"Renamed %d"}`, f.next())
	}, admins(200, 200, 404, 403)},
	{"delete team", func(f *authzFixture) (string, string, string) {
		return "DELETE", "/v1/orgs/org-a/teams/" + f.team("org-a").String(), ""
	}, admins(200, 200, 404, 403)},

	{"get lockout policy", func(*authzFixture) (string, string, string) { return "GET", "/v1/settings/lockout", "" }, admins(200, 403, 403, 403)},
	{"set lockout policy", func(f *authzFixture) (string, string, string) {
		return "PUT", "/v1/settings/lockout", fmt.Sprintf(`{"max_failures":%d,"window_seconds":900,"lock_duration_seconds":900,"permanent_after":0}`, 5+f.next()%5)
	}, admins(200, 403, 403, 403)},

	{"get password policy", func(*authzFixture) (string, string, string) { return "GET", "/v1/settings/password-policy", "" }, admins(200, 403, 403, 403)},
	{"set password policy", func(f *authzFixture) (string, string, string) {
		return "PUT", "/v1/settings/password-policy", fmt.Sprintf(`{"min_length":%d,"max_age_days":0,"history":0,"reject_common":true}`, 8+f.next()%4)
	}, admins(200, 403, 403, 403)},
	userRow("reset second factor", "DELETE", "/second-factor", "", 200),
	{"get registration settings", func(*authzFixture) (string, string, string) { return "GET", "/v1/settings/registration", "" }, admins(200, 403, 403, 403)},
	{"set registration settings", func(f *authzFixture) (string, string, string) {
		return "PUT", "/v1/settings/registration", fmt.Sprintf(`{"enabled":%t,"require_verification":true,"default_roles":["member"]}`, f.next()%2 == 0)
	}, admins(200, 403, 403, 403)},
	{"get two-factor policy", func(*authzFixture) (string, string, string) { return "GET", "/v1/settings/two-factor", "" }, admins(200, 403, 403, 403)},
	// Setting it off (the default) keeps the other rows' sessions usable.
	{"set two-factor policy", func(*authzFixture) (string, string, string) {
		return "PUT", "/v1/settings/two-factor", `{"require_for_admins":false}`
	}, admins(200, 403, 403, 403)},
	{"start TOTP", func(*authzFixture) (string, string, string) { return "POST", "/v1/me/second-factor/totp", "" }, admins(201, 201, 201, 201)},
	// A wrong code: 400 shows the request got past authorization.
	{"confirm TOTP", func(*authzFixture) (string, string, string) {
		return "POST", "/v1/me/second-factor/totp/confirm", `{"code":"not-a-code"}`
	}, admins(400, 400, 400, 400)},
	userRow("reset password", "PUT", "/password", `{"password":"another long password"}`, 200),
	{"me", func(*authzFixture) (string, string, string) { return "GET", "/v1/me", "" }, admins(200, 200, 200, 200)},
	{"change own password", func(*authzFixture) (string, string, string) {
		return "PUT", "/v1/me/password", `{"current_password":"` + testPassword + `","password":"another long password"}`
	}, admins(412, 412, 412, 412)},
	// Last: it ends the caller's session.
	{"logout", func(*authzFixture) (string, string, string) { return "POST", "/v1/auth/logout", "" }, admins(204, 204, 204, 204)},
}

func (f *authzFixture) customRole() string {
	f.t.Helper()
	key := fmt.Sprintf("role-%d", f.next())
	if _, err := f.roles.Create(context.Background(), commands.System("test"), key, "Custom", "", []role.Permission{role.ReadUsers}); err != nil {
		f.t.Fatal(err)
	}
	return key
}

// TestAuthorizationTable: every endpoint against every kind of caller.
func TestAuthorizationTable(t *testing.T) {
	f := newAuthzFixture(t)
	covered := map[string]bool{}
	for _, row := range authzRows {
		for p := range principals {
			t.Run(row.name+"/"+principalNames[p], func(t *testing.T) {
				fa := *f
				fa.api = f.with(t)
				method, path, body := row.build(&fa)
				covered[method+" "+routeOf(path)] = true
				f.caughtUp()
				header := map[string]string{"Authorization": ""}
				for k, v := range authzHeaders[row.name] {
					header[k] = v
				}
				if p != noToken {
					header["Authorization"] = "Bearer " + f.tokens[p]
				}
				r := fa.call(method, path, body, header)
				if r.status != row.want[p] {
					t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, principalNames[p], r.status, row.want[p], r.raw)
				}
			})
		}
	}
	// Every authenticated route of the router is in the table.
	for _, route := range authenticatedRoutes(t) {
		if !covered[route] {
			t.Errorf("route %s is missing from the authorization table", route)
		}
	}
}

// routeOf turns a request path back into its route template.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case i == 3 && parts[2] == "users" && p != "":
			parts[i] = "{id}"
		case i == 5 && parts[2] == "users" && parts[4] == "teams":
			parts[i] = "{team}"
		case i == 3 && parts[2] == "roles" && p != "distribution":
			parts[i] = "{key}"
		case i == 3 && parts[2] == "orgs":
			parts[i] = "{org}"
		case i == 5 && parts[2] == "orgs" && parts[4] == "teams":
			parts[i] = "{team}"
		}
	}
	return strings.Join(parts, "/")
}

// publicRoutes need no session: the person following an emailed link, or
// signing up, has none. onboarding_api_test.go covers them.
var publicRoutes = map[string]bool{
	"POST /v1/auth/forgot-password":              true,
	"POST /v1/auth/reset-password":               true,
	"POST /v1/invitations/accept":                true,
	"POST /v1/registrations":                     true,
	"POST /v1/registrations/verify":              true,
	"POST /v1/registrations/resend-verification": true,
}

// authenticatedRoutes lists "METHOD /path" of every /v1 route but login,
// from the OpenAPI document, which a test keeps equal to the router.
func authenticatedRoutes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range documentedRoutes(t) {
		if publicRoutes[r] || strings.HasPrefix(r, "POST /v1/auth/login") || !strings.Contains(r, " /v1/") {
			continue
		}
		out = append(out, r)
	}
	return out
}

// TestSuspensionRevokesSessions: suspending a user over HTTP ends its
// sessions at once; its next request gets 401.
func TestSuspensionRevokesSessions(t *testing.T) {
	a := newAPI(t)
	id := a.user("victim@example.com", "", "", role.SystemAdmin)
	token := a.login("victim@example.com")
	if r := a.call(http.MethodGet, "/v1/me", "", map[string]string{"Authorization": "Bearer " + token}); r.status != 200 {
		t.Fatalf("me before: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodPost, "/v1/users/"+id.String()+"/suspend", "", nil); r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.raw)
	}
	live, err := a.sessions.List(context.Background(), id)
	if err != nil || len(live) != 0 {
		t.Fatalf("sessions after suspension: %v, %v", live, err)
	}
	if r := a.call(http.MethodGet, "/v1/me", "", map[string]string{"Authorization": "Bearer " + token}); r.status != 401 {
		t.Fatalf("me after: %d %s", r.status, r.raw)
	}
	// And logging in again fails like a wrong password.
	r := a.call(http.MethodPost, "/v1/auth/login", `{"email":"victim@example.com","password":"`+testPassword+`"}`, map[string]string{"Authorization": ""})
	if r.status != 401 {
		t.Fatalf("login while suspended: %d %s", r.status, r.raw)
	}
}

// TestEscalation: an org admin cannot grant what it does not hold, nor
// System Admin, nor place users in another organization.
func TestEscalation(t *testing.T) {
	f := newAuthzFixture(t)
	own := map[string]string{"Authorization": "Bearer " + f.tokens[ownOrgAdmin]}
	target := f.target().String()
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"create with system admin", "POST", "/v1/users", `{"email":"x1@example.com","send_invite":true,"roles":["system_admin"]}`, 403},
		{"create with a role it lacks", "POST", "/v1/users", `{"email":"x2@example.com","send_invite":true,"roles":["vendor"]}`, 403},
		{"create in another org", "POST", "/v1/users", `{"email":"x3@example.com","send_invite":true,"organization_id":"org-b"}`, 403},
		{"create with a role it holds", "POST", "/v1/users", `{"email":"x4@example.com","send_invite":true,"roles":["author"]}`, 201},
		{"edit to system admin", "PATCH", "/v1/users/" + target, `{"roles":["member","system_admin"]}`, 403},
		{"move to another org", "PATCH", "/v1/users/" + target, `{"organization_id":"org-b"}`, 403},
		{"org role it lacks", "PUT", "/v1/users/" + target + "/org-role", `{"role":"vendor"}`, 403},
		{"org role system admin", "PUT", "/v1/users/" + target + "/org-role", `{"role":"system_admin"}`, 403},
		{"change a system admin", "POST", "/v1/users/" + f.adminIDInOrg() + "/suspend", "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.lastPosition()
			r := f.with(t).call(tc.method, tc.path, tc.body, own)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status >= 400 && f.lastPosition() != before {
				t.Fatal("a refused request wrote events")
			}
		})
	}
}

// TestNoChangingTheMorePowerful: a user who may write users but holds less
// than the Org Admin cannot reset its password or second factor, or
// suspend it — that would be a way to act with the admin's permissions.
func TestNoChangingTheMorePowerful(t *testing.T) {
	f := newAuthzFixture(t)
	if _, err := f.roles.Create(context.Background(), commands.System("test"), "helpdesk", "Helpdesk", "", []role.Permission{role.ReadUsers, role.WriteUsers}); err != nil {
		t.Fatal(err)
	}
	f.user("helpdesk@example.com", "org-a", "member", role.Member, "helpdesk")
	f.caughtUp()
	as := map[string]string{"Authorization": "Bearer " + f.login("helpdesk@example.com")}
	adminA := f.user("admin-a2@example.com", "org-a", role.OrgAdmin, role.Member).String()
	for _, tc := range []struct{ name, method, path, body string }{
		{"reset the org admin's password", "PUT", "/v1/users/" + adminA + "/password", `{"password":"owned by the helpdesk"}`},
		{"reset the org admin's second factor", "DELETE", "/v1/users/" + adminA + "/second-factor", ""},
		{"suspend the org admin", "POST", "/v1/users/" + adminA + "/suspend", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.lastPosition()
			if r := f.with(t).call(tc.method, tc.path, tc.body, as); r.status != 403 {
				t.Fatalf("status %d, want 403: %s", r.status, r.raw)
			}
			if f.lastPosition() != before {
				t.Fatal("a refused request wrote events")
			}
		})
	}
	// A plain member of the same org is the helpdesk's to change.
	member := f.target().String()
	if r := f.call("PUT", "/v1/users/"+member+"/password", `{"password":"reset by the helpdesk"}`, as); r.status != 200 {
		t.Fatalf("helpdesk resets a member: %d %s", r.status, r.raw)
	}
}

// TestDefaultOrgRoleIsGranted: the Member org role a new user gets by
// default is checked like one the request names, so a user who may write
// users but holds less than Member cannot hand it out by leaving it out.
// An Org Admin, a Member itself, creates members.
func TestDefaultOrgRoleIsGranted(t *testing.T) {
	f := newAuthzFixture(t)
	if _, err := f.roles.Create(context.Background(), commands.System("test"), "clerk", "Clerk", "", []role.Permission{role.ReadUsers, role.WriteUsers}); err != nil {
		t.Fatal(err)
	}
	f.user("clerk@example.com", "org-a", "clerk")
	f.caughtUp()
	clerk := map[string]string{"Authorization": "Bearer " + f.login("clerk@example.com")}
	for _, body := range []string{
		`{"email":"d1@example.com","send_invite":true}`,
		`{"email":"d2@example.com","send_invite":true,"org_role":""}`,
		`{"email":"d3@example.com","send_invite":true,"org_role":"member"}`,
	} {
		before := f.lastPosition()
		r := f.with(t).call("POST", "/v1/users", body, clerk)
		if r.status != 403 || !slices.Contains(fieldCodes(r), "org_role:not_grantable") {
			t.Fatalf("%s: %d %s, want 403 naming org_role", body, r.status, r.raw)
		}
		if f.lastPosition() != before {
			t.Fatalf("%s: a refused request wrote events", body)
		}
	}
	own := map[string]string{"Authorization": "Bearer " + f.tokens[ownOrgAdmin]}
	if r := f.call("POST", "/v1/users", `{"email":"d4@example.com","send_invite":true}`, own); r.status != 201 {
		t.Fatalf("org admin creates a member: %d %s", r.status, r.raw)
	}
}

// adminIDInOrg creates a System Admin who is also a member of org-a.
func (f *authzFixture) adminIDInOrg() string {
	return f.user(fmt.Sprintf("sys-in-a-%d@example.com", f.next()), "org-a", "member", role.SystemAdmin).String()
}

// documentedRoutes lists "METHOD /path" of every operation in openapi.yaml.
func documentedRoutes(t *testing.T) []string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	return out
}

// TestPasswordChangeEndsSessions: an admin's reset and a user's own change
// end every session of that user; the new password works, the old does not.
func TestPasswordChangeEndsSessions(t *testing.T) {
	a := newAPI(t)
	id := a.user("pw@example.com", "", "", role.Member)
	token := a.login("pw@example.com")
	other := a.login("pw@example.com")
	as := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	if r := a.call(http.MethodPut, "/v1/users/"+id.String()+"/password", `{"password":"short"}`, nil); r.status != 400 || !strings.Contains(string(r.raw), "password") {
		t.Fatalf("short password: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/me", "", as(token)); r.status != 200 {
		t.Fatalf("a rejected reset ended the session: %d", r.status)
	}
	if r := a.call(http.MethodPut, "/v1/users/"+id.String()+"/password", `{"password":"reset by an admin"}`, nil); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	for _, tok := range []string{token, other} {
		if r := a.call(http.MethodGet, "/v1/me", "", as(tok)); r.status != 401 {
			t.Fatalf("session after reset: %d", r.status)
		}
	}
	login := func(pw string) reply {
		return a.call(http.MethodPost, "/v1/auth/login", `{"email":"pw@example.com","password":"`+pw+`"}`, map[string]string{"Authorization": ""})
	}
	if r := login(testPassword); r.status != 401 {
		t.Fatalf("old password after reset: %d", r.status)
	}
	r := login("reset by an admin")
	if r.status != 200 {
		t.Fatalf("new password: %d %s", r.status, r.raw)
	}
	mine := r.body["token"].(string)
	before := a.lastPosition()
	if r := a.call(http.MethodPut, "/v1/me/password", `{"current_password":"a wrong guess","password":"stolen session wins"}`, as(mine)); r.status != 400 || !strings.Contains(string(r.raw), "current_password") {
		t.Fatalf("own change with a wrong current password: %d %s", r.status, r.raw)
	}
	if a.lastPosition() != before {
		t.Fatal("a refused change wrote events")
	}
	if r := a.call(http.MethodPut, "/v1/me/password", `{"current_password":"reset by an admin","password":"chosen by the user"}`, as(mine)); r.status != 200 {
		t.Fatalf("own change: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/me", "", as(mine)); r.status != 401 {
		t.Fatalf("session after own change: %d", r.status)
	}
	if r := login("chosen by the user"); r.status != 200 {
		t.Fatalf("own new password: %d %s", r.status, r.raw)
	}
	// No password event carries the password in clear.
	evs, err := a.store.ReadStream(context.Background(), "user-"+id.String(), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		for _, pw := range []string{"reset by an admin", "chosen by the user", testPassword} {
			if strings.Contains(string(ev.Data)+string(ev.Metadata), pw) {
				t.Fatalf("event %s holds a password in clear", ev.Type)
			}
		}
	}
}

// TestPasswordPolicyOverHTTP: a policy set over HTTP applies to new
// passwords; a rejected password's error names every rule it breaks and
// nothing is written; the history refuses a reused password.
func TestPasswordPolicyOverHTTP(t *testing.T) {
	a := newAPI(t)
	r := a.call(http.MethodPut, "/v1/settings/password-policy",
		`{"min_length":12,"require_classes":["upper","digit"],"max_age_days":90,"history":2,"reject_common":true}`, nil)
	if r.status != 200 {
		t.Fatalf("set policy: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/settings/password-policy", "", nil); r.status != 200 || r.body["min_length"].(float64) != 12 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("get policy: %d %s %v", r.status, r.raw, r.header)
	}
	if r := a.call(http.MethodPut, "/v1/settings/password-policy", `{"min_length":3,"max_age_days":-1,"history":99,"reject_common":true}`, nil); r.status != 400 ||
		!strings.Contains(string(r.raw), "min_length") || !strings.Contains(string(r.raw), "max_age_days") || !strings.Contains(string(r.raw), "history") {
		t.Fatalf("invalid policy: %d %s", r.status, r.raw)
	}
	before := a.lastPosition()
	r = a.call(http.MethodPost, "/v1/users", `{"email":"weak@example.com","password":"monkey12"}`, nil)
	if r.status != 400 {
		t.Fatalf("weak password: %d %s", r.status, r.raw)
	}
	for _, code := range []string{"too_short", "missing_uppercase", "common_password"} {
		if !strings.Contains(string(r.raw), code) {
			t.Errorf("the error does not name %s: %s", code, r.raw)
		}
	}
	if strings.Contains(string(r.raw), "monkey") {
		t.Errorf("the error echoes the password: %s", r.raw)
	}
	if a.lastPosition() != before {
		t.Fatal("a rejected password wrote events")
	}
	r = a.call(http.MethodPost, "/v1/users", `{"email":"strong@example.com","password":"Correct Horse 42"}`, nil)
	if r.status != 201 {
		t.Fatalf("strong password: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	if r := a.call(http.MethodPut, "/v1/users/"+id+"/password", `{"password":"Another Horse 43"}`, nil); r.status != 200 {
		t.Fatalf("new password: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodPut, "/v1/users/"+id+"/password", `{"password":"Correct Horse 42"}`, nil); r.status != 400 || !strings.Contains(string(r.raw), "reused_password") {
		t.Fatalf("reused password: %d %s", r.status, r.raw)
	}
}

// TestExpiredPasswordRestrictsSession: with a maximum password age, a login
// with an expired password succeeds into a session that may only change
// the password.
func TestExpiredPasswordRestrictsSession(t *testing.T) {
	a := newAPI(t)
	id := a.user("old@example.com", "", "", role.SystemAdmin)
	if r := a.call(http.MethodPut, "/v1/settings/password-policy", `{"min_length":8,"max_age_days":1,"history":0,"reject_common":true}`, nil); r.status != 200 {
		t.Fatalf("policy: %d %s", r.status, r.raw)
	}
	// A password set now is not expired...
	r := a.call(http.MethodPost, "/v1/auth/login", `{"email":"old@example.com","password":"`+testPassword+`"}`, map[string]string{"Authorization": ""})
	if r.status != 200 || r.body["password_expired"] != false {
		t.Fatalf("fresh password: %d %s", r.status, r.raw)
	}
	// ...and one whose PasswordSet event is older than the maximum age is.
	if err := a.backdatePassword(id, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	r = a.call(http.MethodPost, "/v1/auth/login", `{"email":"old@example.com","password":"`+testPassword+`"}`, map[string]string{"Authorization": ""})
	if r.status != 200 || r.body["password_expired"] != true {
		t.Fatalf("expired password: %d %s", r.status, r.raw)
	}
	as := map[string]string{"Authorization": "Bearer " + r.body["token"].(string)}
	if r := a.call(http.MethodGet, "/v1/users", "", as); r.status != 403 || !strings.Contains(string(r.raw), "session-restricted") {
		t.Fatalf("restricted session lists users: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/me", "", as); r.status != 200 || r.body["password_expired"] != true {
		t.Fatalf("me: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodPut, "/v1/me/password", `{"current_password":"`+testPassword+`","password":"a brand new secret"}`, as); r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.raw)
	}
	r = a.call(http.MethodPost, "/v1/auth/login", `{"email":"old@example.com","password":"a brand new secret"}`, map[string]string{"Authorization": ""})
	if r.status != 200 || r.body["password_expired"] != false {
		t.Fatalf("after the change: %d %s", r.status, r.raw)
	}
}

// TestTemporaryPassword: an admin's temporary password logs the user in to
// a session restricted to changing it.
func TestTemporaryPassword(t *testing.T) {
	a := newAPI(t)
	id := a.user("temp@example.com", "", "", role.Member)
	if r := a.call(http.MethodPut, "/v1/users/"+id.String()+"/password", `{"password":"temporary secret 1","temporary":true}`, nil); r.status != 200 {
		t.Fatalf("temporary reset: %d %s", r.status, r.raw)
	}
	login := func(pw string) reply {
		return a.call(http.MethodPost, "/v1/auth/login", `{"email":"temp@example.com","password":"`+pw+`"}`, map[string]string{"Authorization": ""})
	}
	r := login("temporary secret 1")
	if r.status != 200 || r.body["password_expired"] != true {
		t.Fatalf("login with the temporary password: %d %s", r.status, r.raw)
	}
	as := map[string]string{"Authorization": "Bearer " + r.body["token"].(string)}
	if r := a.call(http.MethodGet, "/v1/roles", "", as); r.status != 403 {
		t.Fatalf("restricted session: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodPut, "/v1/me/password", `{"current_password":"temporary secret 1","password":"my own secret 2"}`, as); r.status != 200 {
		t.Fatalf("own change: %d %s", r.status, r.raw)
	}
	if r := login("my own secret 2"); r.status != 200 || r.body["password_expired"] != false {
		t.Fatalf("after the change: %d %s", r.status, r.raw)
	}
}

// builtinsOnly is a role read model that has not caught up with any custom
// role: it knows the built-in roles only.
type builtinsOnly struct{}

func (builtinsOnly) Catalogue(context.Context) (role.Catalogue, error) {
	return role.NewCatalogue(), nil
}

// TestGrantChecksReadTheEventStore: what a principal may grant, and whom
// it may change, is decided on the roles as the event store has them, not
// as a lagging read model does. Here the read model knows no custom role
// at all, as it may not for a while after one is created: an Org Admin
// still may not grant a role that gives more than it holds (which a check
// against the read model let through), nor change a user holding one; it
// may not grant a role that does not exist, and may take away one that no
// longer does.
func TestGrantChecksReadTheEventStore(t *testing.T) {
	a := newAPI(t, func(d *httpapi.Deps) { d.Catalogue = builtinsOnly{} })
	ctx := context.Background()
	a.org("org-a", "Org A")
	a.user("oa@example.com", "org-a", role.OrgAdmin, role.Member)
	for _, r := range []struct {
		key   string
		perms []role.Permission
	}{
		{"ops", []role.Permission{role.ManageRoles, role.ManageSettings}},
		{"helper", []role.Permission{role.ReadUsers}},
		{"gone", []role.Permission{role.ReadUsers}},
	} {
		if _, err := a.roles.Create(ctx, commands.System("test"), r.key, r.key, "", r.perms); err != nil {
			t.Fatal(err)
		}
	}
	victim := a.user("victim@example.com", "org-a", "member", role.Member).String()
	powerful := a.user("powerful@example.com", "org-a", "member", role.Member, "ops").String()
	leaver := a.user("leaver@example.com", "org-a", "member", role.Member, "gone").String()
	if _, err := a.roles.Delete(ctx, commands.System("test"), "gone", nil); err != nil {
		t.Fatal(err)
	}
	a.caughtUp()
	oa := map[string]string{"Authorization": "Bearer " + a.login("oa@example.com")}

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"grant a role giving more", "PATCH", "/v1/users/" + victim, `{"roles":["member","ops"]}`, 403, "roles:not_grantable"},
		{"org role giving more", "PUT", "/v1/users/" + victim + "/org-role", `{"role":"ops"}`, 403, "role:not_grantable"},
		{"create with a role giving more", "POST", "/v1/users", `{"email":"new@example.com","send_invite":true,"roles":["ops"]}`, 403, "roles:not_grantable"},
		{"grant a role that does not exist", "PATCH", "/v1/users/" + victim, `{"roles":["member","ghost"]}`, 400, "roles:unknown"},
		{"change a user holding more", "POST", "/v1/users/" + powerful + "/suspend", "", 403, ""},
	} {
		before := a.lastPosition()
		r := a.with(t).call(tc.method, tc.path, tc.body, oa)
		if r.status != tc.status || (tc.code != "" && !slices.Contains(fieldCodes(r), tc.code)) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
		}
		if a.lastPosition() != before {
			t.Errorf("%s: a refused request wrote events", tc.name)
		}
	}
	if r := a.call("PATCH", "/v1/users/"+victim, `{"roles":["member","helper"]}`, oa); r.status != 200 {
		t.Errorf("grant a role giving less: %d %s", r.status, r.raw)
	}
	if r := a.call("PATCH", "/v1/users/"+leaver, `{"roles":["member"]}`, oa); r.status != 200 {
		t.Errorf("take away a deleted role: %d %s", r.status, r.raw)
	}
}

// staleCatalogue is a role read model that has not caught up with a
// change: it returns the definitions it was given.
type staleCatalogue struct{ defs []role.Definition }

func (c staleCatalogue) Catalogue(context.Context) (role.Catalogue, error) {
	return role.NewCatalogue(c.defs...), nil
}

// TestOwnPermissionsReadTheEventStore: what the caller itself holds is
// also taken from the event store by the escalation checks. Here the read
// model still says the Org Admin's custom role gives settings:manage,
// which a System Admin has just taken from it: the Org Admin may no
// longer grant a role that needs it, nor change a user who holds it.
func TestOwnPermissionsReadTheEventStore(t *testing.T) {
	stale := staleCatalogue{defs: []role.Definition{
		{Key: "helper", Name: "helper", Permissions: []role.Permission{role.ManageSettings, role.ReadUsers}},
		{Key: "ops", Name: "ops", Permissions: []role.Permission{role.ManageSettings}},
	}}
	a := newAPI(t, func(d *httpapi.Deps) { d.Catalogue = stale; d.CatalogueTTL = 0 })
	ctx := context.Background()
	a.org("org-a", "Org A")
	for _, d := range stale.defs {
		if _, err := a.roles.Create(ctx, commands.System("test"), d.Key, d.Name, "", d.Permissions); err != nil {
			t.Fatal(err)
		}
	}
	a.user("oa@example.com", "org-a", role.OrgAdmin, role.Member, "helper")
	victim := a.user("victim@example.com", "org-a", "member", role.Member).String()
	holder := a.user("holder@example.com", "org-a", "member", role.Member, "ops").String()
	oa := map[string]string{"Authorization": "Bearer " + a.login("oa@example.com")}
	if _, err := a.roles.ChangePermissions(ctx, commands.System("test"), "helper", nil, []role.Permission{role.ReadUsers}); err != nil {
		t.Fatal(err)
	}
	a.caughtUp()
	if r := a.call("PATCH", "/v1/users/"+victim, `{"roles":["member","ops"]}`, oa); r.status != 403 || !slices.Contains(fieldCodes(r), "roles:not_grantable") {
		t.Errorf("grant a role needing a permission just taken away: %d %s, want 403", r.status, r.raw)
	}
	if r := a.call("POST", "/v1/users/"+holder+"/suspend", "", oa); r.status != 403 {
		t.Errorf("suspend a user holding a permission just taken away: %d %s, want 403", r.status, r.raw)
	}
}

// TestMissingUserIsWordedAlike: every command on a user that does not
// exist answers as GET does, whoever asks, so that an Org Admin cannot
// tell a user of another organization from no user at all; a deleted
// user's second factor is gone with it (410).
func TestMissingUserIsWordedAlike(t *testing.T) {
	f := newAuthzFixture(t)
	deleted := f.target()
	if _, err := f.users.Delete(context.Background(), commands.System("test"), deleted, nil, user.Soft); err != nil {
		t.Fatal(err)
	}
	other := f.user("other-b@example.com", "org-b", "member", role.Member)
	missing := uuid.New()
	routes := []struct{ method, path, body string }{
		{"POST", "/v1/users/%s/notes", `{"text":"x"}`},
		{"POST", "/v1/users/%s/password/reset-email", ""},
		{"POST", "/v1/users/%s/invitation/resend", ""},
		{"DELETE", "/v1/users/%s/second-factor", ""},
		{"POST", "/v1/users/%s/suspend", ""},
		{"POST", "/v1/users/%s/lockout/clear", ""},
	}
	for _, rt := range routes {
		for _, c := range []struct {
			who int
			id  uuid.UUID
		}{{sysAdmin, missing}, {ownOrgAdmin, missing}, {ownOrgAdmin, other}} {
			tok := f.tokens[c.who]
			before := f.lastPosition()
			r := f.with(t).call(rt.method, fmt.Sprintf(rt.path, c.id), rt.body, map[string]string{"Authorization": "Bearer " + tok})
			if r.status != 404 || r.body["detail"] != "not found: no user with id "+c.id.String() {
				t.Errorf("%s %s as %s: %d %s, want 404 worded as GET words it", rt.method, rt.path, principalNames[c.who], r.status, r.raw)
			}
			if f.lastPosition() != before {
				t.Errorf("%s %s as %s: wrote events", rt.method, rt.path, principalNames[c.who])
			}
		}
	}
	r := f.call("DELETE", "/v1/users/"+deleted.String()+"/second-factor", "", nil)
	if r.status != 410 {
		t.Errorf("reset the second factor of a deleted user: %d %s, want 410", r.status, r.raw)
	}
}

// TestListPagesFollowCursors: following next_cursor walks the whole list,
// each user once, with the filters the server adds (the default statuses,
// an Org Admin's organization) as with the ones the caller gives.
func TestListPagesFollowCursors(t *testing.T) {
	f := newAuthzFixture(t)
	for range 3 {
		f.target()
	}
	f.caughtUp()
	for _, who := range []int{sysAdmin, ownOrgAdmin} {
		for _, query := range []string{"limit=2", "limit=2&sort=-created", "limit=2&q=target", "limit=2&status=active,suspended&sort=email"} {
			auth := map[string]string{"Authorization": "Bearer " + f.tokens[who]}
			seen := map[string]bool{}
			var total float64
			cursor := ""
			for page := 0; ; page++ {
				path := "/v1/users?" + query
				if cursor != "" {
					path += "&cursor=" + url.QueryEscape(cursor)
				}
				r := f.with(t).call("GET", path, "", auth)
				if r.status != 200 {
					t.Fatalf("%s, %s, page %d: %d %s", principalNames[who], query, page, r.status, r.raw)
				}
				total = r.body["total"].(float64)
				for _, it := range r.body["items"].([]any) {
					id := it.(map[string]any)["id"].(string)
					if seen[id] {
						t.Fatalf("%s, %s: user %s on two pages", principalNames[who], query, id)
					}
					seen[id] = true
				}
				next, _ := r.body["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if len(seen) != int(total) || total < 3 {
				t.Errorf("%s, %s: %d users over the pages, total %v", principalNames[who], query, len(seen), total)
			}
		}
	}
}
