package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/redis/go-redis/v9"
)

// Idempotency-Key handling for POST, after the IETF httpapi draft: the first
// request with a key runs and its response is kept for idempotencyTTL; a
// retry with the same key and the same request gets that response again
// (with Idempotent-Replayed: true) without running twice; the same key with
// another request answers 422; a retry while the first still runs, 409.
const (
	idempotencyTTL     = 24 * time.Hour
	idempotencyPending = 2 * time.Minute
)

var validIdempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

// replayHeaders are the response headers a replay repeats.
var replayHeaders = []string{"Content-Type", "Location", "ETag", "X-Event-Position"}

type idempotencyRecord struct {
	Fingerprint string              `json:"fp"`
	Done        bool                `json:"done"`
	Status      int                 `json:"status,omitempty"`
	Header      map[string][]string `json:"header,omitempty"`
	Body        []byte              `json:"body,omitempty"`
}

type idempotency struct {
	rdb    redis.UniversalClient
	prefix string
	logger *slog.Logger
}

func (m *idempotency) key(scope, key string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	return m.prefix + "idem:" + hex.EncodeToString(sum[:])
}

// uncached are the POST routes whose answers hold secrets shown only once
// (TOTP secrets, recovery codes) or that end a session: they are never
// stored for replay.
var uncached = map[string]bool{
	"/v1/me/second-factor/totp":         true,
	"/v1/me/second-factor/totp/confirm": true,
	"/v1/auth/logout":                   true,
}

// wrap applies the protocol to POST requests that carry the header. scope
// separates callers (the actor), so one client's key never replays another's
// response.
func (m *idempotency) wrap(scope func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys, present := r.Header["Idempotency-Key"]
		if r.Method != http.MethodPost || !present || uncached[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		key := keys[0]
		if len(keys) > 1 || !validIdempotencyKey.MatchString(key) {
			writeProblem(w, r, problem{Type: "invalid-idempotency-key", Status: http.StatusBadRequest, Detail: "Idempotency-Key must be given once, as 1 to 255 visible ASCII characters"})
			return
		}
		body, err := readBody(r)
		if err != nil {
			respondError(m.logger, w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		fp := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
		rec := idempotencyRecord{Fingerprint: hex.EncodeToString(fp[:])}
		rkey := m.key(scope(r), key)

		pending, _ := json.Marshal(rec)
		took, err := m.rdb.SetNX(r.Context(), rkey, pending, idempotencyPending).Result()
		if err != nil {
			respondError(m.logger, w, r, fmt.Errorf("idempotency: %w", err))
			return
		}
		if !took {
			m.replay(w, r, rkey, rec.Fingerprint)
			return
		}

		capture := &captureWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(capture, r)

		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Second)
		defer cancel()
		if capture.status >= 500 || capture.status == statusClientClosedRequest {
			// A failure or an abandoned request is not a result: let the
			// client retry for real.
			m.rdb.Del(ctx, rkey)
			return
		}
		rec.Done, rec.Status, rec.Body = true, capture.status, capture.body.Bytes()
		rec.Header = map[string][]string{}
		for _, h := range replayHeaders {
			if v := capture.Header().Values(h); len(v) > 0 {
				rec.Header[h] = v
			}
		}
		done, _ := json.Marshal(rec)
		if err := m.rdb.Set(ctx, rkey, done, idempotencyTTL).Err(); err != nil {
			m.logger.WarnContext(ctx, "idempotency: keep response", slog.Any("error", err))
		}
	})
}

func (m *idempotency) replay(w http.ResponseWriter, r *http.Request, rkey, fingerprint string) {
	raw, err := m.rdb.Get(r.Context(), rkey).Bytes()
	if errors.Is(err, redis.Nil) {
		writeProblem(w, r, problem{Type: "idempotency-conflict", Status: http.StatusConflict, Detail: "a request with this Idempotency-Key just finished or failed; retry"})
		return
	}
	if err != nil {
		respondError(m.logger, w, r, fmt.Errorf("idempotency: %w", err))
		return
	}
	var rec idempotencyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		respondError(m.logger, w, r, fmt.Errorf("idempotency record: %w", err))
		return
	}
	switch {
	case rec.Fingerprint != fingerprint:
		writeProblem(w, r, problem{Type: "idempotency-key-reused", Status: http.StatusUnprocessableEntity, Detail: "this Idempotency-Key was used for a different request; use a new key"})
	case !rec.Done:
		writeProblem(w, r, problem{Type: "idempotency-conflict", Status: http.StatusConflict, Detail: "a request with this Idempotency-Key is still being processed"})
	default:
		for h, v := range rec.Header {
			w.Header()[h] = v
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(rec.Status)
		_, _ = w.Write(rec.Body)
	}
}

// captureWriter passes a response through and keeps a copy.
type captureWriter struct {
	http.ResponseWriter
	status  int
	body    bytes.Buffer
	written bool
}

func (c *captureWriter) WriteHeader(code int) {
	if !c.written {
		c.status, c.written = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.written = true
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}
