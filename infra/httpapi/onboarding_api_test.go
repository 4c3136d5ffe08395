package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/httpapi"
	"github.com/clarynext/usermgmt/infra/ratelimit"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// linkToken mints the token of the newest link event of type typ in the
// user's stream, as the mail outbox does; "" if there is none.
func (a *api) linkToken(id uuid.UUID, typ string, p user.Purpose) string {
	a.t.Helper()
	evs, err := a.store.ReadStream(context.Background(), user.Stream(id), eventstore.ReadStreamOptions{})
	if err != nil {
		a.t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != typ {
			continue
		}
		var e struct {
			Token user.Token `json:"token"`
		}
		if err := json.Unmarshal(evs[i].Data, &e); err != nil {
			a.t.Fatal(err)
		}
		return a.links.Mint(string(p), id, e.Token.ID)
	}
	return ""
}

func (a *api) streamLen(id uuid.UUID) int {
	a.t.Helper()
	evs, err := a.store.ReadStream(context.Background(), user.Stream(id), eventstore.ReadStreamOptions{})
	if err != nil {
		a.t.Fatal(err)
	}
	return len(evs)
}

// userID finds a user by email in the read model.
func (a *api) userID(email string) uuid.UUID {
	a.t.Helper()
	a.caughtUp()
	page, err := a.reads.Search(context.Background(), users.Query{Text: email, Statuses: []string{"active", "invited", "unverified"}, Limit: 2})
	if err != nil || len(page.Users) != 1 {
		a.t.Fatalf("find %s: %v %v", email, page.Users, err)
	}
	return page.Users[0].ID
}

// public calls without a session.
func (a *api) public(method, path, body string) reply {
	a.t.Helper()
	return a.call(method, path, body, map[string]string{"Authorization": ""})
}

// fieldCodes lists "field:code" of a problem's errors.
func fieldCodes(r reply) []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out = append(out, m["field"].(string)+":"+m["code"].(string))
	}
	return out
}

func TestInvitationOverHTTP(t *testing.T) {
	a := newAPI(t)
	created := a.create("invitee@example.com")
	id := uuid.MustParse(created.body["id"].(string))
	token := a.linkToken(id, user.TypeInvitationSent, user.PurposeInvitation)

	bad := []struct {
		name, body string
		want       []string
	}{
		{"no token", `{"token":"","password":"Correct-Horse-9"}`, []string{"token:required"}},
		{"forged token", `{"token":"` + token[:len(token)-2] + `AA","password":"Correct-Horse-9"}`, []string{"token:invalid"}},
		{"weak password", `{"token":"` + token + `","password":"password"}`, []string{"password:common_password"}},
	}
	for _, tt := range bad {
		r := a.public(http.MethodPost, "/v1/invitations/accept", tt.body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.header.Get("Content-Type"), "problem+json") {
			t.Fatalf("%s: %d %s", tt.name, r.status, r.raw)
		}
		for _, w := range tt.want {
			if !strings.Contains(strings.Join(fieldCodes(r), " "), w) {
				t.Errorf("%s: errors %v lack %s", tt.name, fieldCodes(r), w)
			}
		}
	}
	if n := a.streamLen(id); n != 2 {
		t.Fatalf("refused acceptances wrote events: %d in the stream", n)
	}

	// A resend kills the first link.
	if r := a.call(http.MethodPost, "/v1/users/"+id.String()+"/invitation/resend", "", nil); r.status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", r.status, r.raw)
	}
	r := a.public(http.MethodPost, "/v1/invitations/accept", `{"token":"`+token+`","password":"`+testPassword+`"}`)
	if r.status != http.StatusBadRequest || fieldCodes(r)[0] != "token:superseded" {
		t.Fatalf("old link after resend: %d %s", r.status, r.raw)
	}
	token = a.linkToken(id, user.TypeInvitationSent, user.PurposeInvitation)
	if r := a.public(http.MethodPost, "/v1/invitations/accept", `{"token":"`+token+`","password":"`+testPassword+`"}`); r.status != http.StatusNoContent {
		t.Fatalf("accept: %d %s", r.status, r.raw)
	}
	a.login("invitee@example.com") // fails the test unless the account is active with that password
	r = a.public(http.MethodPost, "/v1/invitations/accept", `{"token":"`+token+`","password":"`+testPassword+`"}`)
	if r.status != http.StatusBadRequest || fieldCodes(r)[0] != "token:used" {
		t.Fatalf("reused link: %d %s", r.status, r.raw)
	}

	// Revoke.
	other := uuid.MustParse(a.create("other-invitee@example.com").body["id"].(string))
	if r := a.call(http.MethodDelete, "/v1/users/"+other.String()+"/invitation", "", nil); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodDelete, "/v1/users/"+other.String()+"/invitation", "", nil); r.status != http.StatusConflict {
		t.Fatalf("revoke twice: %d %s", r.status, r.raw)
	}
	a.caughtUp()
	details := a.call(http.MethodGet, "/v1/users/"+other.String(), "", nil)
	if inv, _ := details.body["invitation"].(map[string]any); inv["state"] != "revoked" || details.body["status"] != "invited" {
		t.Fatalf("details of a revoked invitation: %s", details.raw)
	}
	if inv, _ := a.call(http.MethodGet, "/v1/users/"+id.String(), "", nil).body["invitation"].(map[string]any); inv["state"] != "accepted" {
		t.Fatalf("details of an accepted invitation: %v", inv)
	}
	third := uuid.MustParse(a.create("pending@example.com").body["id"].(string))
	a.caughtUp()
	list := a.call(http.MethodGet, "/v1/users?status=invited&invitation=pending", "", nil)
	items, _ := list.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != third.String() {
		t.Fatalf("pending invitations: %s", list.raw)
	}
	if inv := items[0].(map[string]any)["invitation"].(map[string]any); inv["state"] != "pending" || inv["expires_at"] == nil {
		t.Fatalf("a pending invitation in the list: %v", inv)
	}
	revoked := a.linkToken(other, user.TypeInvitationSent, user.PurposeInvitation)
	if r := a.public(http.MethodPost, "/v1/invitations/accept", `{"token":"`+revoked+`","password":"`+testPassword+`"}`); r.status != http.StatusBadRequest || fieldCodes(r)[0] != "token:revoked" {
		t.Fatalf("revoked link: %d %s", r.status, r.raw)
	}
}

func TestPasswordResetOverHTTP(t *testing.T) {
	a := newAPI(t)
	id := a.user("forgetful@example.com", "", "", "member")
	session := a.login("forgetful@example.com")

	for _, email := range []string{"nobody@example.com", "not an address", "forgetful@example.com"} {
		r := a.public(http.MethodPost, "/v1/auth/forgot-password", `{"email":"`+email+`"}`)
		if r.status != http.StatusAccepted {
			t.Fatalf("forgot %q: %d %s", email, r.status, r.raw)
		}
	}
	var token string
	deadline := time.Now().Add(5 * time.Second)
	for token == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		token = a.linkToken(id, user.TypeResetRequested, user.PurposeReset)
	}
	if token == "" {
		t.Fatal("no reset link was issued")
	}
	r := a.public(http.MethodPost, "/v1/auth/reset-password", `{"token":"`+token+`","password":"short"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(strings.Join(fieldCodes(r), " "), "password:too_short") {
		t.Fatalf("weak password: %d %s", r.status, r.raw)
	}
	if r := a.public(http.MethodPost, "/v1/auth/reset-password", `{"token":"`+token+`","password":"a brand new passphrase"}`); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/me", "", map[string]string{"Authorization": "Bearer " + session}); r.status != http.StatusUnauthorized {
		t.Fatalf("a session from before the reset: %d", r.status)
	}
	if r := a.public(http.MethodPost, "/v1/auth/reset-password", `{"token":"`+token+`","password":"yet another passphrase"}`); r.status != http.StatusBadRequest || fieldCodes(r)[0] != "token:used" {
		t.Fatalf("reused reset link: %d %s", r.status, r.raw)
	}

	// The admin's "send reset email" ends the sessions at once.
	sid := a.user("suspect@example.com", "", "", "member")
	suspect := a.login("suspect@example.com")
	if r := a.call(http.MethodPost, "/v1/users/"+sid.String()+"/password/reset-email", "", nil); r.status != http.StatusAccepted {
		t.Fatalf("send reset email: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/me", "", map[string]string{"Authorization": "Bearer " + suspect}); r.status != http.StatusUnauthorized {
		t.Fatalf("session after an admin reset: %d", r.status)
	}
	if a.linkToken(sid, user.TypeResetRequested, user.PurposeReset) == "" {
		t.Fatal("no reset link for the admin's reset")
	}
}

func TestRegistrationOverHTTP(t *testing.T) {
	a := newAPI(t, func(d *httpapi.Deps) {
		d.PublicLimits.RegisterPerAccount = ratelimit.Rule{Name: "register-account", Rate: 100, Period: time.Hour, Burst: 100}
	})
	signUp := `{"email":"new@example.com","first_name":"Nia","fields":{"company":"ACME"}}`
	r := a.public(http.MethodPost, "/v1/registrations", signUp)
	if r.status != http.StatusForbidden || !strings.HasSuffix(r.body["type"].(string), "registration-disabled") {
		t.Fatalf("while disabled: %d %s", r.status, r.raw)
	}

	put := a.call(http.MethodPut, "/v1/settings/registration", `{"enabled":true,"require_verification":true,"default_roles":["nope"]}`, nil)
	if put.status != http.StatusBadRequest || fieldCodes(put)[0] != "default_roles[0]:unknown" {
		t.Fatalf("unknown role in settings: %d %s", put.status, put.raw)
	}
	put = a.call(http.MethodPut, "/v1/settings/registration", `{"enabled":true,"require_verification":true,"default_roles":["member"],
		"fields":[{"key":"company","label":"Company","type":"string","required":true,"max_length":20}]}`, nil)
	if put.status != http.StatusOK {
		t.Fatalf("settings: %d %s", put.status, put.raw)
	}

	before := a.lastPosition()
	r = a.public(http.MethodPost, "/v1/registrations", `{"email":"new@example.com","password":"chosen too early","fields":{"company":"`+strings.Repeat("x", 21)+`","age":3}}`)
	if codes := strings.Join(fieldCodes(r), " "); r.status != http.StatusBadRequest ||
		codes != "fields.age:unknown fields.company:too_long password:invalid" && codes != "fields.company:too_long fields.age:unknown password:invalid" {
		t.Fatalf("bad fields: %d %s", r.status, r.raw)
	}
	if a.lastPosition() != before {
		t.Fatal("a refused sign-up wrote events")
	}

	r = a.public(http.MethodPost, "/v1/registrations", signUp)
	if r.status != http.StatusAccepted || r.body["status"] != "verification_pending" {
		t.Fatalf("sign up: %d %s", r.status, r.raw)
	}
	id := a.userID("new@example.com")
	first := a.linkToken(id, user.TypeVerificationSent, user.PurposeVerification)
	// The same address again: the same answer, no second user, and the
	// mailbox gets a new link (the first one is superseded).
	if r := a.public(http.MethodPost, "/v1/registrations", signUp); r.status != http.StatusAccepted || r.body["status"] != "verification_pending" {
		t.Fatalf("second sign-up: %d %s", r.status, r.raw)
	}
	token := a.linkToken(id, user.TypeVerificationSent, user.PurposeVerification)
	if token == first {
		t.Fatal("a second sign-up for an unverified address sent no new link")
	}
	if r := a.public(http.MethodPost, "/v1/registrations/verify", `{"token":"`+first+`","password":"a long sign-up passphrase"}`); r.status != http.StatusBadRequest || fieldCodes(r)[0] != "token:superseded" {
		t.Fatalf("superseded verification link: %d %s", r.status, r.raw)
	}
	// An active user's address: the same answer, nothing written.
	a.user("taken@example.com", "", "", "member")
	before = a.lastPosition()
	if r := a.public(http.MethodPost, "/v1/registrations", `{"email":"taken@example.com","fields":{"company":"X"}}`); r.status != http.StatusAccepted || r.body["status"] != "verification_pending" {
		t.Fatalf("sign-up with an active user's address: %d %s", r.status, r.raw)
	}
	if a.lastPosition() != before {
		t.Fatal("a sign-up with an active user's address wrote events")
	}
	if r := a.public(http.MethodPost, "/v1/registrations/verify", `{"token":"`+token+`x","password":"a long sign-up passphrase"}`); r.status != http.StatusBadRequest {
		t.Fatalf("forged verification: %d %s", r.status, r.raw)
	}
	if r := a.public(http.MethodPost, "/v1/registrations/verify", `{"token":"`+token+`","password":"a long sign-up passphrase"}`); r.status != http.StatusNoContent {
		t.Fatalf("verify: %d %s", r.status, r.raw)
	}
	resp, err := http.Post(a.srv.URL+"/v1/auth/login", "application/json", strings.NewReader(`{"email":"new@example.com","password":"a long sign-up passphrase"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login after verifying: %d", resp.StatusCode)
	}
	u, _, _ := a.users.Load(context.Background(), id)
	if u.Attributes()["company"] != "ACME" || !u.HasRole("member") {
		t.Fatalf("profile: %v %v", u.Attributes(), u.Roles())
	}
}

func TestOnboardingRateLimits(t *testing.T) {
	a := newAPI(t, func(d *httpapi.Deps) {
		d.PublicLimits.ForgotPerAccount = ratelimit.Rule{Name: "forgot-account", Rate: 2, Period: time.Hour, Burst: 2}
	})
	for i := range 3 {
		r := a.public(http.MethodPost, "/v1/auth/forgot-password", `{"email":"Someone@Example.com"}`)
		if i < 2 && r.status != http.StatusAccepted {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if i == 2 && (r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "") {
			t.Fatalf("over the limit: %d %s", r.status, r.raw)
		}
	}
}

func TestLinkPages(t *testing.T) {
	a := newAPI(t)
	id := uuid.MustParse(a.create("page@example.com").body["id"].(string))
	token := a.linkToken(id, user.TypeInvitationSent, user.PurposeInvitation)

	get := func(path string) (int, string) {
		resp, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	post := func(path string, form url.Values) (int, string) {
		resp, err := http.PostForm(a.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusTooManyRequests && !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("POST %s: content type %q", path, ct)
		}
		return resp.StatusCode, string(raw)
	}

	if code, body := get("/accept-invitation?token=" + url.QueryEscape(token)); code != http.StatusOK ||
		!strings.Contains(body, `value="`+token+`"`) || !strings.Contains(body, `type="password"`) {
		t.Fatalf("invitation page: %d\n%s", code, body)
	}
	if code, _ := get("/accept-invitation"); code != http.StatusBadRequest {
		t.Fatalf("page without a token: %d", code)
	}
	before := a.streamLen(id)
	if code, body := post("/accept-invitation", url.Values{"token": {token}, "password": {"password"}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "Password: ") || !strings.Contains(body, `type="password"`) {
		t.Fatalf("weak password: %d\n%s", code, body)
	}
	if a.streamLen(id) != before {
		t.Fatal("a refused form wrote events")
	}
	// A client that left before the answer: 499 (no failure), nothing written.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(gone, http.MethodPost, "/accept-invitation",
		strings.NewReader(url.Values{"token": {token}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.srv.Config.Handler.ServeHTTP(rec, req)
	if rec.Code != 499 || a.streamLen(id) != before {
		t.Fatalf("a client that left: status %d, %d events written", rec.Code, a.streamLen(id)-before)
	}
	if code, body := post("/accept-invitation", url.Values{"token": {token}, "password": {testPassword}}); code != http.StatusOK || !strings.Contains(body, "active") {
		t.Fatalf("accept: %d\n%s", code, body)
	}
	a.login("page@example.com")
	if code, body := post("/accept-invitation", url.Values{"token": {token}, "password": {testPassword}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "already used") || strings.Contains(body, "<form") {
		t.Fatalf("a used link: %d\n%s", code, body)
	}
	// Markup in a token is escaped, never rendered.
	if _, body := get("/verify-email?token=" + url.QueryEscape(`"><script>x</script>`)); strings.Contains(body, "<script>x") {
		t.Fatal("the token was rendered unescaped")
	}
}

// TestExpiredLinks: links issued longer ago than they live answer 400
// "expired", and nothing is written.
func TestExpiredLinks(t *testing.T) {
	a := newAPI(t)
	past, err := commands.NewUsers(commands.UsersConfig{Store: a.store, Hasher: a.hasher, Links: a.links,
		Now: func() time.Time { return time.Now().Add(-8 * 24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	invited, err := past.Create(ctx, commands.System("test"), commands.CreateUser{Email: "late@example.com", SendInvite: true})
	if err != nil {
		t.Fatal(err)
	}
	active := a.user("old-reset@example.com", "", "", "member")
	if _, err := past.SendPasswordReset(ctx, commands.System("test"), active); err != nil {
		t.Fatal(err)
	}
	signedUp, err := past.Create(ctx, commands.System("test"), commands.CreateUser{Email: "slow@example.com", SignUp: true, VerifyEmail: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, body string
		id         uuid.UUID
	}{
		{"/v1/invitations/accept", `{"token":"` + a.linkToken(invited.ID, user.TypeInvitationSent, user.PurposeInvitation) + `","password":"` + testPassword + `"}`, invited.ID},
		{"/v1/auth/reset-password", `{"token":"` + a.linkToken(active, user.TypeResetRequested, user.PurposeReset) + `","password":"a brand new passphrase"}`, active},
		{"/v1/registrations/verify", `{"token":"` + a.linkToken(signedUp.ID, user.TypeVerificationSent, user.PurposeVerification) + `","password":"a brand new passphrase"}`, signedUp.ID},
	}
	for _, c := range cases {
		before := a.streamLen(c.id)
		r := a.public(http.MethodPost, c.path, c.body)
		if r.status != http.StatusBadRequest || fieldCodes(r)[0] != "token:expired" {
			t.Errorf("%s: %d %s", c.path, r.status, r.raw)
		}
		if a.streamLen(c.id) != before {
			t.Errorf("%s: an expired link wrote events", c.path)
		}
	}
}

// TestPublicRateLimits: every public onboarding endpoint answers 429 with
// Retry-After past its per-IP or per-account limit.
func TestPublicRateLimits(t *testing.T) {
	one := func(name string) ratelimit.Rule {
		return ratelimit.Rule{Name: name, Rate: 1, Period: time.Hour, Burst: 1}
	}
	lots := func(name string) ratelimit.Rule {
		return ratelimit.Rule{Name: name, Rate: 1000, Period: time.Minute, Burst: 1000}
	}
	tests := []struct {
		name   string
		limits httpapi.PublicLimits
		path   string
		bodies [2]string // the second must hit the limit
	}{
		{"forgot per IP", httpapi.PublicLimits{ForgotPerIP: one("f-ip"), ForgotPerAccount: lots("f-acc")},
			"/v1/auth/forgot-password", [2]string{`{"email":"a@example.com"}`, `{"email":"b@example.com"}`}},
		{"register per IP", httpapi.PublicLimits{RegisterPerIP: one("r-ip"), RegisterPerAccount: lots("r-acc")},
			"/v1/registrations", [2]string{`{"email":"a@example.com","password":"x"}`, `{"email":"b@example.com","password":"x"}`}},
		{"register per account", httpapi.PublicLimits{RegisterPerIP: lots("r-ip"), RegisterPerAccount: one("r-acc")},
			"/v1/registrations", [2]string{`{"email":"a@example.com","password":"x"}`, `{"email":"A@Example.com","password":"x"}`}},
		{"verify per IP", httpapi.PublicLimits{VerifyPerIP: one("v-ip"), VerifyPerAccount: lots("v-acc")},
			"/v1/registrations/verify", [2]string{`{"token":"a","password":"x"}`, `{"token":"b","password":"x"}`}},
		{"verify per link", httpapi.PublicLimits{VerifyPerIP: lots("v-ip"), VerifyPerAccount: one("v-acc")},
			"/v1/registrations/verify", [2]string{`{"token":"a","password":"x"}`, `{"token":"a","password":"x"}`}},
		{"resend verification per account", httpapi.PublicLimits{VerifyPerIP: lots("v-ip"), VerifyPerAccount: one("v-acc")},
			"/v1/registrations/resend-verification", [2]string{`{"email":"a@example.com"}`, `{"email":"a@example.com"}`}},
		{"accept per link", httpapi.PublicLimits{LinkPerIP: lots("l-ip"), LinkPerToken: one("l-tok")},
			"/v1/invitations/accept", [2]string{`{"token":"a","password":"x"}`, `{"token":"a","password":"y"}`}},
		{"reset per IP", httpapi.PublicLimits{LinkPerIP: one("l-ip"), LinkPerToken: lots("l-tok")},
			"/v1/auth/reset-password", [2]string{`{"token":"a","password":"x"}`, `{"token":"b","password":"x"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, func(d *httpapi.Deps) { d.PublicLimits = tt.limits })
			if r := a.public(http.MethodPost, tt.path, tt.bodies[0]); r.status == http.StatusTooManyRequests {
				t.Fatalf("first request limited: %s", r.raw)
			}
			r := a.public(http.MethodPost, tt.path, tt.bodies[1])
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Fatalf("second request: %d %s", r.status, r.raw)
			}
		})
	}
}
