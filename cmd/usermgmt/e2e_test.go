package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/readmodels/redistest"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

// adminClient logs in as the System Admin that the embedded default
// created at first start, with the password from the file its log names.
func adminClient(t *testing.T, base, dataDir string, logs fmt.Stringer) client {
	t.Helper()
	path := filepath.Join(dataDir, "initial-admin-password")
	if logs != nil && (!strings.Contains(logs.String(), path) || !strings.Contains(logs.String(), defaultAdminEmail)) {
		t.Fatalf("the first start does not say how to log in:\n%s", logs)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if logs != nil && strings.Contains(logs.String(), strings.TrimSpace(string(raw))) {
		t.Fatal("the generated password is in the logs")
	}
	c := client{t: t, base: base}
	out := c.must(http.StatusOK, http.MethodPost, "/v1/auth/login", map[string]any{"email": defaultAdminEmail, "password": strings.TrimSpace(string(raw))})
	c.token = out["token"].(string)
	return c
}

func (c client) do(method, path string, body any) (*http.Response, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d, body not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp, out
}

func (c client) must(status int, method, path string, body any) map[string]any {
	c.t.Helper()
	resp, out := c.do(method, path, body)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: %d %v, want %d", method, path, resp.StatusCode, out, status)
	}
	return out
}

// search returns the IDs a list query finds, reading its own write.
func (c client) search(query url.Values, minPosition string) []string {
	c.t.Helper()
	query.Set("min_position", minPosition)
	out := c.must(http.StatusOK, http.MethodGet, "/v1/users?"+query.Encode(), nil)
	var ids []string
	for _, it := range out["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	if int(out["total"].(float64)) != len(ids) {
		c.t.Fatalf("total %v but %d items on a single page", out["total"], len(ids))
	}
	return ids
}

// TestEndToEnd drives the real server through run: create, find by search,
// suspend, find by status, reactivate, delete, gone from search, with both
// the in-process Redis of the embedded mode and a real Redis.
func TestEndToEnd(t *testing.T) {
	modes := map[string]func(t *testing.T) map[string]string{
		"embedded": func(t *testing.T) map[string]string { return map[string]string{} },
		"redis": func(t *testing.T) map[string]string {
			rdb, prefix := redistest.Real(t)
			_ = rdb
			return map[string]string{"REDIS_URL": os.Getenv("REDIS_URL"), "REDIS_PREFIX": prefix}
		},
	}
	for name, env := range modes {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			e["DATA_DIR"] = t.TempDir()
			base, logs, _ := startServer(t, e)
			c := adminClient(t, base, e["DATA_DIR"], logs)
			c.must(http.StatusCreated, http.MethodPost, "/v1/orgs", map[string]any{"id": "acme", "name": "Acme"})

			created := c.must(http.StatusCreated, http.MethodPost, "/v1/users", map[string]any{
				"email": "José.Núñez@Acme.example", "first_name": "José", "last_name": "Núñez",
				"roles": []string{"member", "expert"}, "organization_id": "acme", "password": "a long e2e passphrase",
			})
			id, pos := created["id"].(string), created["position"].(string)
			other := c.must(http.StatusCreated, http.MethodPost, "/v1/users", map[string]any{"email": "jane@globex.example", "first_name": "Jane", "password": "a long e2e passphrase"})

			if got := c.search(url.Values{"q": {"jose"}}, pos); len(got) != 1 || got[0] != id {
				t.Fatalf("search jose: %v, want [%s]", got, id)
			}
			if got := c.search(url.Values{"q": {"acme"}, "role": {"expert"}}, other["position"].(string)); len(got) != 1 || got[0] != id {
				t.Fatalf("search acme + role expert: %v", got)
			}
			details := c.must(http.StatusOK, http.MethodGet, "/v1/users/"+id, nil)
			if details["email"] != "José.Núñez@acme.example" || details["status"] != "active" || details["organization_id"] != "acme" {
				t.Fatalf("details %v", details)
			}

			sus := c.must(http.StatusOK, http.MethodPost, "/v1/users/"+id+"/suspend", map[string]any{"reason": "left the company"})
			if got := c.search(url.Values{"status": {"suspended"}}, sus["position"].(string)); len(got) != 1 || got[0] != id {
				t.Fatalf("status=suspended: %v", got)
			}
			// Active now: the other user and the bootstrapped admin.
			if got := c.search(url.Values{"status": {"active"}}, sus["position"].(string)); len(got) != 2 || slices.Contains(got, id) {
				t.Fatalf("status=active still finds the suspended user: %v", got)
			}
			c.must(http.StatusConflict, http.MethodPost, "/v1/users/"+id+"/suspend", nil)

			re := c.must(http.StatusOK, http.MethodPost, "/v1/users/"+id+"/reactivate", nil)
			if got := c.search(url.Values{"status": {"active"}, "q": {"núñez"}}, re["position"].(string)); len(got) != 1 {
				t.Fatalf("reactivated user not active: %v", got)
			}

			del := c.must(http.StatusOK, http.MethodDelete, "/v1/users/"+id+"?data=anonymize", nil)
			if got := c.search(url.Values{"q": {"jose"}}, del["position"].(string)); len(got) != 0 {
				t.Fatalf("deleted user still found: %v", got)
			}
			if got := c.search(url.Values{}, del["position"].(string)); len(got) != 2 || slices.Contains(got, id) || !slices.Contains(got, other["id"].(string)) {
				t.Fatalf("list after delete: %v", got)
			}
			gone := c.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/v1/users/%s?min_position=%s", id, url.QueryEscape(del["position"].(string))), nil)
			if gone["anonymized"] != true || gone["email"] != "" || strings.Contains(fmt.Sprint(gone), "Núñez") {
				t.Fatalf("anonymized user details %v", gone)
			}
			c.must(http.StatusGone, http.MethodPost, "/v1/users/"+id+"/reactivate", nil)

			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{
				`usermgmt_http_requests_total{code="409",method="POST",route="/v1/users/{id}/suspend"} 1`,
				`usermgmt_projection_events_total{projector="users"}`,
			} {
				if !strings.Contains(string(metrics), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
		})
	}
}

// TestProjectionsRebuild: users created through one server, the read model
// dropped behind its back, `projections rebuild` restores it, and a new
// server serves it.
func TestProjectionsRebuild(t *testing.T) {
	rdb, prefix := redistest.Real(t)
	env := map[string]string{"REDIS_URL": os.Getenv("REDIS_URL"), "REDIS_PREFIX": prefix, "DATA_DIR": t.TempDir()}
	base, logs, stop := startServer(t, env)
	c := adminClient(t, base, env["DATA_DIR"], logs)
	var last string
	for i := 0; i < 25; i++ {
		last = c.must(http.StatusCreated, http.MethodPost, "/v1/users", map[string]any{"email": fmt.Sprintf("u%d@rebuild.example", i), "password": "a long e2e passphrase"})["position"].(string)
	}
	if got := c.search(url.Values{"q": {"rebuild"}, "limit": {"100"}}, last); len(got) != 25 {
		t.Fatalf("before: %d users", len(got))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	redistest.DeletePrefix(t, rdb, prefix) // lose the read model and checkpoints

	var out bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if err := run(t.Context(), []string{"projections", "rebuild"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "users") || !strings.Contains(out.String(), "100%") || !strings.Contains(out.String(), "done in") {
		t.Fatalf("rebuild output lacks progress: %q", out.String())
	}
	if err := run(t.Context(), []string{"projections", "rebuild", "nope"}, getenv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no projector") {
		t.Fatalf("rebuild of an unknown projector: %v", err)
	}

	env["HTTP_ADDR"] = ""
	base, _, _ = startServer(t, env)
	c = adminClient(t, base, env["DATA_DIR"], nil)
	if got := c.search(url.Values{"q": {"rebuild"}, "limit": {"100"}}, last); len(got) != 25 {
		t.Fatalf("after rebuild: %d users", len(got))
	}
}
