package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/clarynext/usermgmt/domain/role"
)

// TestSecondFactorLogin: enrol TOTP, then a login needs the second factor;
// recovery codes work once; wrong codes count toward the lockout; an admin
// resets two-factor.
func TestSecondFactorLogin(t *testing.T) {
	a := newAPI(t)
	id := a.user("twofa@example.com", "", "", role.Member)
	token := a.login("twofa@example.com")
	as := map[string]string{"Authorization": "Bearer " + token}
	noAuth := map[string]string{"Authorization": ""}

	r := a.call(http.MethodPost, "/v1/me/second-factor/totp", "", as)
	if r.status != 201 || r.body["secret"] == "" || r.body["qr_png"] == "" {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	secret := r.body["secret"].(string)
	if r := a.call(http.MethodPost, "/v1/me/second-factor/totp/confirm", `{"code":"000000x"}`, as); r.status != 400 {
		t.Fatalf("confirm with a bad code: %d %s", r.status, r.raw)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = a.call(http.MethodPost, "/v1/me/second-factor/totp/confirm", `{"code":"`+code+`"}`, as)
	if r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	recovery := r.body["recovery_codes"].([]any)
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes", len(recovery))
	}
	if r := a.call(http.MethodGet, "/v1/me", "", as); r.body["second_factor_enabled"] != true || r.body["second_factor_recommended"] != false {
		t.Fatalf("me: %s", r.raw)
	}
	a.caughtUp()
	if r := a.call(http.MethodGet, "/v1/users/"+id.String(), "", nil); r.body["two_factor_enabled"] != true {
		t.Fatalf("details: %s", r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/users?two_factor=enabled", "", nil); r.body["total"].(float64) != 1 {
		t.Fatalf("two_factor filter: %s", r.raw)
	}

	login := func() string {
		t.Helper()
		r := a.call(http.MethodPost, "/v1/auth/login", `{"email":"twofa@example.com","password":"`+testPassword+`"}`, noAuth)
		if r.status != 202 || r.body["token"] != nil {
			t.Fatalf("login with a second factor: %d %s", r.status, r.raw)
		}
		return r.body["challenge"].(string)
	}
	second := func(challenge, code string) reply {
		return a.call(http.MethodPost, "/v1/auth/login/second-factor", `{"challenge":"`+challenge+`","code":"`+code+`"}`, noAuth)
	}
	ch := login()
	if r := second(ch, "12345"); r.status != 401 {
		t.Fatalf("wrong code: %d %s", r.status, r.raw)
	}
	// The confirming code's time step is used: the same code is a replay.
	if r := second(ch, code); r.status != 401 {
		t.Fatalf("replayed code: %d %s", r.status, r.raw)
	}
	r = second(ch, recovery[0].(string))
	if r.status != 200 || r.body["token"] == "" {
		t.Fatalf("recovery code: %d %s", r.status, r.raw)
	}
	if r := second(ch, recovery[1].(string)); r.status != 401 {
		t.Fatalf("a used challenge: %d %s", r.status, r.raw)
	}
	// The recovery code is spent; wrong codes lock the account (5 by default).
	ch = login()
	for i := range 5 {
		if r := second(ch, recovery[0].(string)); r.status != 401 {
			t.Fatalf("wrong code %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := second(ch, recovery[1].(string)); r.status != 401 {
		t.Fatalf("a right code while locked: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodGet, "/v1/users/"+id.String()+"/lockout", "", nil); r.body["locked"] != true {
		t.Fatalf("lock state: %s", r.raw)
	}
	if r := a.call(http.MethodPost, "/v1/users/"+id.String()+"/lockout/clear", "", nil); r.status != 200 {
		t.Fatalf("clear: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodDelete, "/v1/users/"+id.String()+"/second-factor", "", nil); r.status != 200 {
		t.Fatalf("admin reset: %d %s", r.status, r.raw)
	}
	r = a.call(http.MethodPost, "/v1/auth/login", `{"email":"twofa@example.com","password":"`+testPassword+`"}`, noAuth)
	if r.status != 200 || r.body["token"] == "" {
		t.Fatalf("login after the reset: %d %s", r.status, r.raw)
	}
	a.caughtUp()
	if r := a.call(http.MethodGet, "/v1/users?two_factor=enabled", "", nil); r.body["total"].(float64) != 0 {
		t.Fatalf("two_factor filter after the reset: %s", r.raw)
	}
}

// TestTwoFactorRequiredForAdmins: with the policy on, an Org Admin without
// a second factor logs in to a session that can only enrol one; a member
// is not bound; after enrolling, the admin logs in with the code.
func TestTwoFactorRequiredForAdmins(t *testing.T) {
	a := newAPI(t)
	a.org("org-a", "Org A")
	a.user("oa@example.com", "org-a", role.OrgAdmin, role.Member)
	a.user("m@example.com", "org-a", role.Member, role.Member)
	if r := a.call(http.MethodPut, "/v1/settings/two-factor", `{"require_for_admins":true}`, nil); r.status != 200 {
		t.Fatalf("policy: %d %s", r.status, r.raw)
	}
	noAuth := map[string]string{"Authorization": ""}
	login := func(email string) reply {
		return a.call(http.MethodPost, "/v1/auth/login", `{"email":"`+email+`","password":"`+testPassword+`"}`, noAuth)
	}
	if r := login("m@example.com"); r.status != 200 || r.body["second_factor_enrollment_required"] != false {
		t.Fatalf("member: %d %s", r.status, r.raw)
	}
	r := login("oa@example.com")
	if r.status != 200 || r.body["second_factor_enrollment_required"] != true {
		t.Fatalf("org admin without 2FA: %d %s", r.status, r.raw)
	}
	as := map[string]string{"Authorization": "Bearer " + r.body["token"].(string)}
	if r := a.call(http.MethodGet, "/v1/users", "", as); r.status != 403 || !strings.Contains(string(r.raw), "session-restricted") {
		t.Fatalf("restricted admin lists users: %d %s", r.status, r.raw)
	}
	r = a.call(http.MethodPost, "/v1/me/second-factor/totp", "", as)
	if r.status != 201 {
		t.Fatalf("enrol: %d %s", r.status, r.raw)
	}
	code, err := totp.GenerateCode(r.body["secret"].(string), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = a.call(http.MethodPost, "/v1/me/second-factor/totp/confirm", `{"code":"`+code+`"}`, as)
	if r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	recovery := r.body["recovery_codes"].([]any)
	r = login("oa@example.com")
	if r.status != 202 {
		t.Fatalf("enrolled admin: %d %s", r.status, r.raw)
	}
	r = a.call(http.MethodPost, "/v1/auth/login/second-factor", `{"challenge":"`+r.body["challenge"].(string)+`","code":"`+recovery[0].(string)+`"}`, noAuth)
	if r.status != 200 || r.body["second_factor_enrollment_required"] != false {
		t.Fatalf("second step: %d %s", r.status, r.raw)
	}
	as = map[string]string{"Authorization": "Bearer " + r.body["token"].(string)}
	if r := a.call(http.MethodGet, "/v1/users", "", as); r.status != 200 {
		t.Fatalf("enrolled admin lists users: %d %s", r.status, r.raw)
	}
}

// TestSecondFactorAfterSuspension: a challenge issued before a suspension
// does not turn into a session after it; enrolment answers are never
// replayed from the idempotency cache.
func TestSecondFactorAfterSuspension(t *testing.T) {
	a := newAPI(t)
	id := a.user("late@example.com", "", "", role.Member)
	as := map[string]string{"Authorization": "Bearer " + a.login("late@example.com"), "Idempotency-Key": "enrol-1"}
	first := a.call(http.MethodPost, "/v1/me/second-factor/totp", "", as)
	again := a.call(http.MethodPost, "/v1/me/second-factor/totp", "", as)
	if first.status != 201 || again.status != 201 || again.header.Get("Idempotent-Replayed") != "" || first.body["secret"] == again.body["secret"] {
		t.Fatalf("an enrolment was replayed: %d %s / %d %s", first.status, first.raw, again.status, again.raw)
	}
	code, err := totp.GenerateCode(again.body["secret"].(string), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := a.call(http.MethodPost, "/v1/me/second-factor/totp/confirm", `{"code":"`+code+`"}`, as)
	if r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	recovery := r.body["recovery_codes"].([]any)
	noAuth := map[string]string{"Authorization": ""}
	r = a.call(http.MethodPost, "/v1/auth/login", `{"email":"late@example.com","password":"`+testPassword+`"}`, noAuth)
	if r.status != 202 {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	challenge := r.body["challenge"].(string)
	if r := a.call(http.MethodPost, "/v1/users/"+id.String()+"/suspend", "", nil); r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.raw)
	}
	r = a.call(http.MethodPost, "/v1/auth/login/second-factor", `{"challenge":"`+challenge+`","code":"`+recovery[0].(string)+`"}`, noAuth)
	if r.status != 401 {
		t.Fatalf("second step after the suspension: %d %s", r.status, r.raw)
	}
}
