package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// handleHealthz answers 200 while the process runs: liveness, no dependencies.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz runs every readiness check with a short deadline and answers
// 503 naming the failing dependencies, 200 when all pass.
func handleReadyz(checks []ReadinessCheck) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		result := map[string]string{}
		for _, c := range checks {
			if err := c.Check(ctx); err != nil {
				status = http.StatusServiceUnavailable
				result[c.Name] = "unavailable"
				continue
			}
			result[c.Name] = "ok"
		}
		writeJSON(w, status, map[string]any{"status": http.StatusText(status), "checks": result})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
