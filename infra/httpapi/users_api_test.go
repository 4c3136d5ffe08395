package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/httpapi"
)

// api is the HTTP API over real parts (see stack), called as the
// bootstrapped System Admin unless a request sets Authorization itself.
// Every request and response is validated against openapi.yaml.
type api struct {
	t *testing.T
	*stack
	router  routers.Router
	adminID uuid.UUID
	token   string
}

func newAPI(t *testing.T, opts ...func(*httpapi.Deps)) *api {
	t.Helper()
	s := newStack(t, opts...)
	a := &api{t: t, stack: s}
	a.adminID = s.admin()
	a.token = s.login("root@example.com")
	resp, err := http.Get(s.srv.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("served openapi.yaml: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: s.srv.URL}}
	if a.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return a
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends a request and checks both it and its response against the
// OpenAPI document. A request the document itself rejects may be sent on
// purpose (bad input); then only the response is checked.
// emptyHeader, as a header value in call, sends the header empty; "" leaves
// it out.
const emptyHeader = "\x00empty"

func (a *api) call(method, path string, body string, header map[string]string) reply {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range header {
		switch v {
		case "":
			req.Header.Del(k)
		case emptyHeader:
			req.Header[http.CanonicalHeaderKey(k)] = []string{""}
		default:
			req.Header.Set(k, v)
		}
	}
	// The validator writes defaults into the request it checks (a missing
	// query parameter, a query string it re-encodes), so it checks a copy:
	// the server gets the request exactly as built.
	checked := req.Clone(context.Background()) // URL and headers deep-copied
	route, pathParams, err := a.router.FindRoute(checked)
	if err != nil {
		a.t.Fatalf("%s %s is not in openapi.yaml: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: checked, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	reqValid := openapi3filter.ValidateRequest(context.Background(), in) == nil
	req.Body = io.NopCloser(strings.NewReader(body))

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		a.t.Fatalf("%s %s: response %d does not match openapi.yaml: %v\n%s", method, path, resp.StatusCode, err, raw)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			a.t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	if reqValid && resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
		a.t.Fatalf("%s %s: a valid request got %d: %s", method, path, resp.StatusCode, raw)
	}
	return r
}

// with returns the api bound to a subtest's t.
func (a *api) with(t *testing.T) *api {
	c := *a
	c.t = t
	return &c
}

func (a *api) create(email string) reply {
	a.t.Helper()
	r := a.call(http.MethodPost, "/v1/users", `{"email":"`+email+`","first_name":"Ann","send_invite":true}`, nil)
	if r.status != http.StatusCreated {
		a.t.Fatalf("create %s: %d %s", email, r.status, r.raw)
	}
	return r
}

func (a *api) lastPosition() eventstore.Position {
	a.t.Helper()
	p, err := a.store.LastPosition(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

func TestCreateAndRead(t *testing.T) {
	a := newAPI(t)
	r := a.create("ann@example.com")
	id := r.body["id"].(string)
	if r.header.Get("Location") != "/v1/users/"+id || r.header.Get("ETag") != `"1"` || r.header.Get("X-Event-Position") != r.body["position"] {
		t.Fatalf("headers %v body %v", r.header, r.body)
	}
	got := a.call(http.MethodGet, "/v1/users/"+id+"?min_position="+r.body["position"].(string), "", nil)
	if got.status != 200 || got.body["email"] != "ann@example.com" || got.header.Get("ETag") != `"1"` {
		t.Fatalf("details: %d %s", got.status, got.raw)
	}
	note := a.call(http.MethodPost, "/v1/users/"+id+"/notes", `{"text":"called about billing"}`, map[string]string{"If-Match": `"1"`})
	if note.status != 201 || note.body["revision"].(float64) != 2 {
		t.Fatalf("note: %d %s", note.status, note.raw)
	}
	got = a.call(http.MethodGet, "/v1/users/"+id+"?min_position="+note.body["position"].(string), "", nil)
	notes := got.body["notes"].([]any)
	if len(notes) != 1 || notes[0].(map[string]any)["text"] != "called about billing" {
		t.Fatalf("notes %v", got.body["notes"])
	}
}

// TestBadInput: each bad request gets a precise problem with the right
// status, and nothing is written to the event store.
func TestBadInput(t *testing.T) {
	a := newAPI(t)
	existing := a.create("taken@example.com")
	id := existing.body["id"].(string)
	deleted := a.create("gone@example.com").body["id"].(string)
	if r := a.call(http.MethodDelete, "/v1/users/"+deleted, "", nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	suspended := a.create("sus@example.com").body["id"].(string)
	sus := a.call(http.MethodPost, "/v1/users/"+suspended+"/suspend", "", nil)
	if sus.status != 200 {
		t.Fatalf("suspend: %d %s", sus.status, sus.raw)
	}
	firstPage := a.call(http.MethodGet, "/v1/users?limit=1&min_position="+sus.body["position"].(string), "", nil)
	otherQueryCursor, _ := firstPage.body["next_cursor"].(string)
	if firstPage.status != 200 || otherQueryCursor == "" {
		t.Fatalf("first page of one: %d %s", firstPage.status, firstPage.raw)
	}

	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		header   map[string]string
		status   int
		typ      string
		mentions string // the detail or a field error must mention this
	}{
		{"missing email", "POST", "/v1/users", `{"send_invite":true}`, nil, 400, "validation-error", "email"},
		{"invalid email", "POST", "/v1/users", `{"email":"nope","send_invite":true}`, nil, 400, "validation-error", "email"},
		{"duplicate email", "POST", "/v1/users", `{"email":"TAKEN@example.com","send_invite":true}`, nil, 409, "conflict", "email"},
		{"unknown field", "POST", "/v1/users", `{"email":"a@example.com","send_invite":true,"admin":true}`, nil, 400, "unknown-field", "admin"},
		{"malformed JSON", "POST", "/v1/users", `{"email":`, nil, 400, "malformed-body", "JSON"},
		{"wrong JSON type", "POST", "/v1/users", `{"email":42}`, nil, 400, "validation-error", "email"},
		{"two JSON values", "POST", "/v1/users", `{"email":"a@example.com"}{}`, nil, 400, "malformed-body", "more than one"},
		{"not JSON", "POST", "/v1/users", `email=a`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported-media-type", "application/json"},
		{"oversized body", "POST", "/v1/users", `{"email":"` + strings.Repeat("a", 70_000) + `@example.com"}`, nil, 413, "body-too-large", "exceeds"},
		{"short password", "POST", "/v1/users", `{"email":"b@example.com","password":"short"}`, nil, 400, "validation-error", "password"},
		{"no token", "POST", "/v1/users", `{"email":"c@example.com","send_invite":true}`, map[string]string{"Authorization": ""}, 401, "unauthenticated", "bearer"},
		{"not a bearer token", "GET", "/v1/users", "", map[string]string{"Authorization": "Basic cm9vdDpyb290"}, 401, "unauthenticated", "Bearer"},
		{"malformed token", "GET", "/v1/users", "", map[string]string{"Authorization": "Bearer not-a-token"}, 401, "unauthenticated", "invalid"},
		{"forged token", "GET", "/v1/users", "", map[string]string{"Authorization": "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, 401, "unauthenticated", "invalid"},
		{"wrong password", "POST", "/v1/auth/login", `{"email":"root@example.com","password":"wrong password"}`, map[string]string{"Authorization": ""}, 401, "unauthenticated", "email or password"},
		{"unknown email", "POST", "/v1/auth/login", `{"email":"nobody@example.com","password":"wrong password"}`, map[string]string{"Authorization": ""}, 401, "unauthenticated", "email or password"},
		{"login with unknown field", "POST", "/v1/auth/login", `{"email":"root@example.com","password":"x","otp":"1"}`, map[string]string{"Authorization": ""}, 400, "unknown-field", "otp"},
		{"grant unknown role", "POST", "/v1/users", `{"email":"d@example.com","send_invite":true,"roles":["wizard"]}`, nil, 400, "validation-error", "wizard"},
		{"unknown organization", "POST", "/v1/users", `{"email":"e@example.com","send_invite":true,"organization_id":"org-nope"}`, nil, 400, "validation-error", "org-nope"},
		{"id not a UUID", "POST", "/v1/users/42/suspend", "", nil, 400, "invalid-parameter", "id"},
		{"unknown user", "POST", "/v1/users/6f1c2a4e-1d0b-4c39-8f0e-2a9a5c7e0042/suspend", "", nil, 404, "not-found", "no user with id 6f1c2a4e"},
		{"If-Match mismatch", "PATCH", "/v1/users/" + id, `{"first_name":"Bo"}`, map[string]string{"If-Match": `"7"`}, 412, "precondition-failed", "revision"},
		{"malformed If-Match", "PATCH", "/v1/users/" + id, `{"first_name":"Bo"}`, map[string]string{"If-Match": `abc`}, 400, "invalid-header", "If-Match"},
		{"edit a deleted user", "PATCH", "/v1/users/" + deleted, `{"first_name":"Bo"}`, nil, 410, "user-deleted", "deleted"},
		{"suspend twice", "POST", "/v1/users/" + suspended + "/suspend", `{"reason":"again"}`, nil, 409, "conflict", "suspended"},
		{"reactivate an active user", "POST", "/v1/users/" + id + "/reactivate", "", nil, 409, "conflict", "suspended"},
		{"bad delete option", "DELETE", "/v1/users/" + id + "?data=shred", "", nil, 400, "invalid-parameter", "data"},
		{"invalid status in edit", "PATCH", "/v1/users/" + id, `{"status":"deleted"}`, nil, 400, "validation-error", "status"},
		{"empty note", "POST", "/v1/users/" + id + "/notes", `{"text":"  "}`, nil, 400, "validation-error", "text"},
		{"invalid cursor", "GET", "/v1/users?cursor=garbage", "", nil, 400, "invalid-parameter", "cursor"},
		{"query string with a semicolon", "DELETE", "/v1/users/" + id + "?data=anonymize;", "", nil, 400, "invalid-parameter", "malformed"},
		{"query string with a bad escape", "GET", "/v1/users?q=zz%", "", nil, 400, "invalid-parameter", "malformed"},
		{"invisible character in email", "POST", "/v1/users", `{"email":"taken\u200b@example.com","send_invite":true}`, nil, 400, "validation-error", "U+200B"},
		{"bidirectional override in a name", "POST", "/v1/users", `{"email":"n@example.com","send_invite":true,"first_name":"\u202eabc"}`, nil, 400, "validation-error", "first_name"},
		{"lone surrogate escape", "POST", "/v1/users", `{"email":"s@example.com","send_invite":true,"last_name":"\ud800"}`, nil, 400, "malformed-body", "surrogate"},
		{"id in braces", "GET", "/v1/users/%7B" + id + "%7D", "", nil, 400, "invalid-parameter", "id"},
		{"id as a URN", "GET", "/v1/users/urn:uuid:" + id, "", nil, 400, "invalid-parameter", "id"},
		{"id without hyphens", "POST", "/v1/users/" + strings.ReplaceAll(id, "-", "") + "/suspend", "", nil, 400, "invalid-parameter", "id"},
		{"If-Match without quotes", "PATCH", "/v1/users/" + id, `{"first_name":"Bo"}`, map[string]string{"If-Match": `1`}, 400, "invalid-header", "with the quotes"},
		{"If-Match with a leading zero", "PATCH", "/v1/users/" + id, `{"first_name":"Bo"}`, map[string]string{"If-Match": `"01"`}, 400, "invalid-header", "If-Match"},
		{"If-Match list", "PATCH", "/v1/users/" + id, `{"first_name":"Bo"}`, map[string]string{"If-Match": `"1", "2"`}, 400, "invalid-header", "If-Match"},
		{"suffix without a subtype", "POST", "/v1/users", `{"email":"i@example.com","send_invite":true}`, map[string]string{"Content-Type": "application/+json"}, 415, "unsupported-media-type", "application/+json"},
		{"suspension reason without the status", "PATCH", "/v1/users/" + id, `{"suspension_reason":"why"}`, nil, 400, "validation-error", "suspension_reason"},
		{"another reason for a standing suspension", "PATCH", "/v1/users/" + suspended, `{"status":"suspended","suspension_reason":"other"}`, nil, 409, "conflict", "suspension_reason"},
		{"cursor of another query", "GET", "/v1/users?status=suspended&cursor=" + otherQueryCursor, "", nil, 400, "invalid-parameter", "another query"},
		{"unknown sort field", "GET", "/v1/users?sort=salary", "", nil, 400, "invalid-parameter", "sort"},
		{"unknown filter", "GET", "/v1/users?colour=red", "", nil, 400, "invalid-parameter", "colour"},
		{"unknown role filter", "GET", "/v1/users?role=wizard", "", nil, 400, "invalid-parameter", "wizard"},
		{"unknown lock state", "GET", "/v1/users?lock=open", "", nil, 400, "invalid-parameter", "lock"},
		{"limit out of range", "GET", "/v1/users?limit=1000", "", nil, 400, "invalid-parameter", "limit"},
		{"malformed min_position", "GET", "/v1/users?min_position=soon", "", nil, 400, "invalid-parameter", "min_position"},
		{"min_position never reached", "GET", "/v1/users?min_position=999999/999999", "", nil, 503, "not-caught-up", "min_position"},
		{"login without a password", "POST", "/v1/auth/login", `{"email":"root@example.com"}`, map[string]string{"Authorization": ""}, 400, "validation-error", "password"},
		{"weak If-Match", "PATCH", "/v1/users/" + id, `{"first_name":"Bo"}`, map[string]string{"If-Match": `W/"1"`}, 412, "precondition-failed", "weak"},
		{"unknown status filter", "GET", "/v1/users?status=active,weird", "", nil, 400, "invalid-parameter", "weird"},
		{"team filter not an ID", "GET", "/v1/users?team=backend", "", nil, 400, "invalid-parameter", "team"},
		{"field in another case", "POST", "/v1/users", `{"Email":"f@example.com","send_invite":true}`, nil, 400, "unknown-field", `did you mean \"email\"`},
		{"login field in another case", "POST", "/v1/auth/login", `{"EMAIL":"root@example.com","password":"x"}`, map[string]string{"Authorization": ""}, 400, "unknown-field", "EMAIL"},
		{"key given twice", "POST", "/v1/users", `{"email":"g@example.com","send_invite":true,"email":"h@example.com"}`, nil, 400, "malformed-body", "more than once"},
		{"body not UTF-8", "POST", "/v1/users", "{\"email\":\"inv\xff@example.com\",\"send_invite\":true}", nil, 400, "malformed-body", "UTF-8"},
		{"null body", "POST", "/v1/users", `null`, nil, 400, "malformed-body", "not null"},
		{"no Content-Type", "POST", "/v1/users", `{"email":"i@example.com","send_invite":true}`, map[string]string{"Content-Type": ""}, 415, "unsupported-media-type", "Content-Type"},
		{"Content-Type without a slash", "POST", "/v1/users", `{"email":"i@example.com","send_invite":true}`, map[string]string{"Content-Type": "+json"}, 415, "unsupported-media-type", "+json"},
		{"charset not UTF-8", "POST", "/v1/users", `{"email":"i@example.com","send_invite":true}`, map[string]string{"Content-Type": "application/json; charset=latin1"}, 415, "unsupported-media-type", "latin1"},
		{"compressed body", "POST", "/v1/users", `{"email":"i@example.com","send_invite":true}`, map[string]string{"Content-Encoding": "gzip"}, 415, "unsupported-media-type", "gzip"},
		{"empty Idempotency-Key", "POST", "/v1/users", `{"email":"i@example.com","send_invite":true}`, map[string]string{"Idempotency-Key": emptyHeader}, 400, "invalid-idempotency-key", "Idempotency-Key"},
		{"unknown query on a command", "DELETE", "/v1/users/" + id + "?date=anonymize", "", nil, 400, "invalid-parameter", "date"},
		{"delete option twice", "DELETE", "/v1/users/" + id + "?data=soft&data=anonymize", "", nil, 400, "invalid-parameter", "2 times"},
		{"query on a command that takes none", "POST", "/v1/users/" + id + "/suspend?reason=x", "", nil, 400, "invalid-parameter", "takes none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := a.with(t)
			before := a.lastPosition()
			r := a.call(tc.method, tc.path, tc.body, tc.header)
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			if typ, _ := r.body["type"].(string); !strings.HasSuffix(typ, "/"+tc.typ) {
				t.Fatalf("problem type %q, want .../%s: %s", typ, tc.typ, r.raw)
			}
			if !strings.Contains(strings.ToLower(string(r.raw)), strings.ToLower(tc.mentions)) {
				t.Fatalf("problem does not mention %q: %s", tc.mentions, r.raw)
			}
			if tc.status == 503 && r.header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if after := a.lastPosition(); after != before && tc.path != "/v1/auth/login" {
				t.Fatalf("a rejected request wrote events: log moved from %v to %v", before, after)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := newAPI(t)
	body := `{"email":"idem@example.com","send_invite":true}`
	key := map[string]string{"Idempotency-Key": "create-idem-1"}
	first := a.call(http.MethodPost, "/v1/users", body, key)
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	before := a.lastPosition()
	again := a.call(http.MethodPost, "/v1/users", body, key)
	if again.status != 201 || !bytes.Equal(again.raw, first.raw) || again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Location") != first.header.Get("Location") {
		t.Fatalf("replay: %d %s %v", again.status, again.raw, again.header)
	}
	if a.lastPosition() != before {
		t.Fatal("a replayed request wrote events")
	}
	other := a.call(http.MethodPost, "/v1/users", `{"email":"other@example.com","send_invite":true}`, key)
	if other.status != 422 || !strings.Contains(string(other.raw), "idempotency-key-reused") {
		t.Fatalf("same key, other body: %d %s", other.status, other.raw)
	}
	// Another caller's identical key is a different request.
	a.user("second-admin@example.com", "", "", "system_admin")
	other2 := a.login("second-admin@example.com")
	mine := a.call(http.MethodPost, "/v1/users", `{"email":"third@example.com","send_invite":true}`, map[string]string{"Idempotency-Key": "create-idem-1", "Authorization": "Bearer " + other2})
	if mine.status != 201 {
		t.Fatalf("another actor's key: %d %s", mine.status, mine.raw)
	}
	// A 4xx answer is a result too and is replayed; only 5xx answers are
	// forgotten, so that a retry after a server failure runs for real.
	bad := map[string]string{"Idempotency-Key": "bad-1"}
	if r := a.call(http.MethodPost, "/v1/users", `{"email":"x"}`, bad); r.status != 400 {
		t.Fatalf("bad: %d", r.status)
	}
	if r := a.call(http.MethodPost, "/v1/users", `{"email":"x"}`, bad); r.status != 400 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed bad request: %d %v", r.status, r.header)
	}
}

// TestEventMetadataFromRequest: the actor, request id and client of an
// HTTP command end up in its events' metadata.
func TestEventMetadataFromRequest(t *testing.T) {
	a := newAPI(t)
	actor := a.adminID.String()
	r := a.call(http.MethodPost, "/v1/users", `{"email":"meta@example.com","send_invite":true}`,
		map[string]string{"X-Request-Id": "req-meta-1", "User-Agent": "admin-ui/1.0"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	evs, err := a.store.ReadStream(context.Background(), "user-"+r.body["id"].(string), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		md, err := commands.DecodeMetadata(ev.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if md.ActorID != actor || md.ActorKind != commands.ActorUser || md.CorrelationID != "req-meta-1" ||
			md.CausationID != "req-meta-1" || md.ClientIP != "127.0.0.1" || md.UserAgent != "admin-ui/1.0" {
			t.Fatalf("event %s metadata %+v", ev.Type, md)
		}
	}
}

// TestMethodNotAllowed: a path that exists under another method answers
// 405 with an Allow header, at the root and under /v1; a path that does
// not exist answers 404.
func TestMethodNotAllowed(t *testing.T) {
	a := newAPI(t)
	id := a.create("allow@example.com").body["id"].(string)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", "/v1/users", 405, "GET, HEAD, POST"},
		{"POST", "/v1/users/" + id, 405, "GET, HEAD, PATCH, DELETE"},
		{"GET", "/v1/auth/login", 405, "POST"},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"GET", "/v1/nothing-here", 404, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, a.srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+a.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
				t.Fatalf("%d, Allow %q, want %d, Allow %q: %s", resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q: %s", ct, raw)
			}
		})
	}
}

// TestHeadIsGetWithoutBody: every GET route answers HEAD with the GET's
// status and headers and no body (RFC 9110 9.3.2), authorization included.
func TestHeadIsGetWithoutBody(t *testing.T) {
	a := newAPI(t)
	created := a.create("head@example.com")
	id := created.body["id"].(string)
	a.call(http.MethodGet, "/v1/users/"+id+"?min_position="+created.body["position"].(string), "", nil)
	for _, tc := range []struct {
		path, token string
		status      int
		etag        string
	}{
		{"/v1/users/" + id, a.token, 200, `"1"`},
		{"/v1/users?q=head", a.token, 200, ""},
		{"/v1/users/" + id, "", 401, ""},
		{"/v1/users/" + uuid.NewString(), a.token, 404, ""},
	} {
		req, err := http.NewRequest(http.MethodHead, a.srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || len(raw) != 0 || resp.Header.Get("ETag") != tc.etag {
			t.Errorf("HEAD %s: %d, ETag %q, %d body bytes; want %d, ETag %q, no body", tc.path, resp.StatusCode, resp.Header.Get("ETag"), len(raw), tc.status, tc.etag)
		}
	}
}

// TestIfMatchAny: If-Match: * matches the user's current revision, whatever
// it is (RFC 9110 13.1.1); a stale strong ETag still fails.
func TestIfMatchAny(t *testing.T) {
	a := newAPI(t)
	id := a.create("any@example.com").body["id"].(string)
	if r := a.call(http.MethodPatch, "/v1/users/"+id, `{"first_name":"Any"}`, map[string]string{"If-Match": "*"}); r.status != 200 || r.body["changed"] != true {
		t.Fatalf("If-Match *: %d %s", r.status, r.raw)
	}
	if r := a.call(http.MethodPatch, "/v1/users/"+id, `{"first_name":"Stale"}`, map[string]string{"If-Match": `"1"`}); r.status != 412 {
		t.Fatalf("stale If-Match: %d %s", r.status, r.raw)
	}
}

// TestAmbiguousHeaders: a header the API reads once, given twice, is a 400:
// which line counts would be a guess. Nothing is written.
func TestAmbiguousHeaders(t *testing.T) {
	a := newAPI(t)
	id := a.create("twice@example.com").body["id"].(string)
	for _, tc := range []struct {
		header string
		values []string
	}{
		{"If-Match", []string{`"1"`, `"9"`}},
		{"Content-Type", []string{"application/json", "text/plain"}},
	} {
		before := a.lastPosition()
		req, err := http.NewRequest(http.MethodPatch, a.srv.URL+"/v1/users/"+id, strings.NewReader(`{"first_name":"Two"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header[tc.header] = tc.values
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(raw), tc.header+" is given 2 times") {
			t.Errorf("two %s lines: %d %s", tc.header, resp.StatusCode, raw)
		}
		if a.lastPosition() != before {
			t.Errorf("two %s lines: wrote events", tc.header)
		}
	}
}

// TestAnonymizedShowsPlaceholders: a user deleted with its data shows the
// same placeholders in the list as in its details, and nothing of the
// person.
func TestAnonymizedShowsPlaceholders(t *testing.T) {
	a := newAPI(t)
	id := a.create("erase.me@example.com").body["id"].(string)
	del := a.call(http.MethodDelete, "/v1/users/"+id+"?data=anonymize", "", nil)
	if del.status != 200 {
		t.Fatalf("delete: %d %s", del.status, del.raw)
	}
	pos := del.body["position"].(string)
	list := a.call(http.MethodGet, "/v1/users?status=deleted&min_position="+pos, "", nil)
	details := a.call(http.MethodGet, "/v1/users/"+id, "", nil)
	items, _ := list.body["items"].([]any)
	if list.status != 200 || len(items) != 1 || details.status != 200 {
		t.Fatalf("list %d %s; details %d %s", list.status, list.raw, details.status, details.raw)
	}
	for name, u := range map[string]map[string]any{"list": items[0].(map[string]any), "details": details.body} {
		if u["first_name"] != "Deleted" || u["last_name"] != "user" || u["email"] != "" {
			t.Errorf("%s: %v %v %q, want the placeholders and no email", name, u["first_name"], u["last_name"], u["email"])
		}
	}
	if strings.Contains(string(list.raw)+string(details.raw), "erase.me") {
		t.Errorf("the person's data shows: %s %s", list.raw, details.raw)
	}
}

// TestHeadCountedOnce: a HEAD answered as GET is counted once in the
// request metrics, under its route.
func TestHeadCountedOnce(t *testing.T) {
	a := newAPI(t)
	for range 3 {
		req, _ := http.NewRequest(http.MethodHead, a.srv.URL+"/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(a.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(raw)
	if !strings.Contains(metrics, `usermgmt_http_requests_total{code="200",method="GET",route="/v1/users"} 3`+"\n") {
		t.Errorf("three HEADs are not three GETs of /v1/users:\n%s", grepLines(metrics, "usermgmt_http_requests_total"))
	}
	if strings.Contains(metrics, `route="unmatched"`) {
		t.Errorf("HEAD also counted as an unmatched route:\n%s", grepLines(metrics, "unmatched"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
