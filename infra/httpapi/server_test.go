package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clarynext/usermgmt/infra/httpapi"
)

func newTestServer(t *testing.T, ready ...httpapi.ReadinessCheck) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
		Ready:    ready,
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

func TestProbes(t *testing.T) {
	healthy := httpapi.ReadinessCheck{Name: "eventstore", Check: func(context.Context) error { return nil }}
	broken := httpapi.ReadinessCheck{Name: "redis", Check: func(context.Context) error { return errors.New("connection refused") }}
	tests := []struct {
		name       string
		checks     []httpapi.ReadinessCheck
		path       string
		wantStatus int
		wantBody   []string
	}{
		{"healthz", nil, "/healthz", 200, []string{`"status":"ok"`}},
		{"readyz all ok", []httpapi.ReadinessCheck{healthy}, "/readyz", 200, []string{`"eventstore":"ok"`}},
		{"readyz one down", []httpapi.ReadinessCheck{healthy, broken}, "/readyz", 503, []string{`"redis":"unavailable"`, `"eventstore":"ok"`}},
		{"healthz ignores dependencies", []httpapi.ReadinessCheck{broken}, "/healthz", 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, tc.checks...)
			resp, body := get(t, srv.URL+tc.path)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, body)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(body, s) {
					t.Errorf("body %s lacks %s", body, s)
				}
			}
			if strings.Contains(body, "connection refused") {
				t.Errorf("readiness leaks the dependency's error text: %s", body)
			}
		})
	}
}

func TestUnknownRouteIsProblemJSON(t *testing.T) {
	srv := newTestServer(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/nope", nil)
	req.Header.Set("X-Request-Id", "req-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("X-Request-Id") != "req-123" {
		t.Errorf("request id not echoed: %q", resp.Header.Get("X-Request-Id"))
	}
	var p struct {
		Type, Title, Detail, Instance string
		Status                        int
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	if p.Status != 404 || !strings.HasSuffix(p.Type, "/not-found") || !strings.Contains(p.Detail, "/nope") || p.Instance != "urn:request:req-123" {
		t.Fatalf("problem %+v", p)
	}

	resp2, _ := get(t, srv.URL+"/healthz")
	if id := resp2.Header.Get("X-Request-Id"); id == "" {
		t.Error("no request id generated")
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	srv := newTestServer(t)
	get(t, srv.URL+"/healthz")
	get(t, srv.URL+"/healthz")
	get(t, srv.URL+"/no/such/route")
	_, body := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`usermgmt_http_requests_total{code="200",method="GET",route="/healthz"} 2`,
		`usermgmt_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
}
