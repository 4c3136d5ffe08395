package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/readmodels/redistest"
)

// TestRespondErrorClientGone: a request that fails because its client closed
// the connection is 499 and no error log; anything else that fails stays a
// logged 500, also a cancellation that is not the request's own.
func TestRespondErrorClientGone(t *testing.T) {
	tests := []struct {
		name       string
		cancelled  bool
		err        error
		wantStatus int
		wantLogged bool
	}{
		{"client closed, store read cancelled", true, fmt.Errorf("load user: %w", context.Canceled), statusClientClosedRequest, false},
		{"client closed, unrelated failure", true, errors.New("redis: connection refused"), http.StatusInternalServerError, true},
		{"client still there, inner operation cancelled", false, fmt.Errorf("load user: %w", context.Canceled), http.StatusInternalServerError, true},
		{"client still there, deadline of an inner operation", false, fmt.Errorf("load user: %w", context.DeadlineExceeded), http.StatusInternalServerError, true},
	}
	// A request context that ran out (a server-side timeout, not the
	// client) is a failure.
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	t.Run("request deadline passed", func(t *testing.T) {
		var logs bytes.Buffer
		w := httptest.NewRecorder()
		respondError(slog.New(slog.NewJSONHandler(&logs, nil)), w, httptest.NewRequestWithContext(expired, http.MethodGet, "/v1/users", nil),
			fmt.Errorf("load user: %w", context.DeadlineExceeded))
		if w.Code != http.StatusInternalServerError || !strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Fatalf("status %d, logs %s; want a logged 500", w.Code, logs.String())
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelled {
				cancel()
			}
			r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/users", nil)
			w := httptest.NewRecorder()
			respondError(logger, w, r, tc.err)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tc.wantStatus)
			}
			var p problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != tc.wantStatus || p.Title == "" {
				t.Fatalf("problem %+v (%v), want status %d with a title", p, err, tc.wantStatus)
			}
			if logged := strings.Contains(logs.String(), `"level":"ERROR"`); logged != tc.wantLogged {
				t.Fatalf("error logged = %v, want %v; logs: %s", logged, tc.wantLogged, logs.String())
			}
		})
	}
}

// TestLinkPageClientGone: the HTML link pages tell a client that left from
// a failure as respondError does.
func TestLinkPageClientGone(t *testing.T) {
	lp := linkPages["/accept-invitation"]
	for _, tc := range []struct {
		name       string
		cancelled  bool
		wantStatus int
		wantLogged bool
	}{
		{"client closed", true, statusClientClosedRequest, false},
		{"client still there", false, http.StatusInternalServerError, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := onboardingAPI{deps: Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelled {
				cancel()
			}
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/accept-invitation", nil)
			w := httptest.NewRecorder()
			a.answerLinkPage(w, r, "/accept-invitation", lp, "token", fmt.Errorf("accept invitation: %w", context.Canceled))
			logged := strings.Contains(logs.String(), `"level":"ERROR"`)
			if w.Code != tc.wantStatus || logged != tc.wantLogged {
				t.Fatalf("status %d, error logged %v; want %d, %v", w.Code, logged, tc.wantStatus, tc.wantLogged)
			}
		})
	}
}

// TestIdempotencyForgetsAbandonedRequests: a POST whose client went away
// keeps no stored answer under its key, so the retry runs for real, while a
// finished answer is replayed.
func TestIdempotencyForgetsAbandonedRequests(t *testing.T) {
	rdb, prefix := redistest.Real(t)
	m := &idempotency{rdb: rdb, prefix: prefix, logger: slog.New(slog.DiscardHandler)}
	runs := 0
	var leave context.CancelFunc // the client leaving mid-request, if set
	h := m.wrap(func(*http.Request) string { return "admin" }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		if leave != nil {
			leave()
			respondError(m.logger, w, r, fmt.Errorf("create user: %w", r.Context().Err()))
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int{"run": runs})
	}))
	post := func(ctx context.Context) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/users", strings.NewReader(`{"email":"a@example.com"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "k1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	gone, cancel := context.WithCancel(context.Background())
	leave = cancel
	if w := post(gone); w.Code != statusClientClosedRequest || runs != 1 {
		t.Fatalf("abandoned request: status %d after %d runs, want %d after 1", w.Code, runs, statusClientClosedRequest)
	}
	leave = nil
	first := post(context.Background())
	if first.Code != http.StatusCreated || runs != 2 {
		t.Fatalf("retry after an abandoned request: status %d after %d runs, want 201 after 2", first.Code, runs)
	}
	again := post(context.Background())
	body, _ := io.ReadAll(again.Body)
	if again.Code != http.StatusCreated || runs != 2 || !bytes.Equal(body, first.Body.Bytes()) {
		t.Fatalf("replay: status %d body %s after %d runs, want the first answer without a run", again.Code, body, runs)
	}
}
