package httpapi

import (
	"encoding/json"
	"net/http"
)

// problemTypeBase prefixes the stable type slugs of problem responses.
const problemTypeBase = "https://clarynext.dev/problems/"

// problem is an RFC 9457 problem details object.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// writeProblem answers with p as application/problem+json. Type is a slug
// made absolute here; instance is the request ID.
func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	p.Type = problemTypeBase + p.Type
	if p.Instance == "" {
		p.Instance = "urn:request:" + requestIDFrom(r.Context())
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
