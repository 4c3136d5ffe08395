package httpapi

import "net/http"

// actorScope separates Idempotency-Keys of different callers: the
// authenticated user.
func actorScope(r *http.Request) string {
	if p := principalFrom(r.Context()); p != nil {
		return p.UserID.String()
	}
	return "anonymous"
}
