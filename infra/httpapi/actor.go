package httpapi

import (
	"net/http"

	"github.com/google/uuid"
)

// requireValidActor rejects a malformed X-Actor-Id. Until authentication
// exists, that header names the acting admin in event metadata.
func requireValidActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get("X-Actor-Id"); v != "" {
			if _, err := uuid.Parse(v); err != nil {
				writeProblem(w, r, problem{Type: "invalid-header", Status: http.StatusBadRequest, Detail: "X-Actor-Id must be a UUID"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// actorScope separates Idempotency-Keys of different callers.
func actorScope(r *http.Request) string {
	if v := r.Header.Get("X-Actor-Id"); v != "" {
		return v
	}
	return "system"
}
