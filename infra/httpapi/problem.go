package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/clarynext/usermgmt/domain"
)

// problemTypeBase prefixes the stable type slugs of problem responses.
const problemTypeBase = "https://clarynext.dev/problems/"

// problem is an RFC 9457 problem details object. Errors lists field-level
// validation failures; Field names the input at fault in a conflict.
type problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Code     string              `json:"code,omitempty"`
	Field    string              `json:"field,omitempty"`
	Errors   []domain.FieldError `json:"errors,omitempty"`
	// retryAfter, in seconds, becomes a Retry-After header when set.
	retryAfter int
}

// writeProblem answers with p as application/problem+json. Type is a slug
// made absolute here; instance is the request ID.
func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	p.Type = problemTypeBase + p.Type
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Instance == "" {
		p.Instance = "urn:request:" + requestIDFrom(r.Context())
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
