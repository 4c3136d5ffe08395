package httpapi

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzDecodeJSON: whatever the body, decoding never panics, and a body it
// rejects is rejected as a 400 problem (never a 500).
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","send_invite":true}`,
		`{"email":"a@example.com","roles":["member","expert"],"organization_id":"acme"}`,
		`{"email":`, `[]`, `null`, `{"email":1}`, `{"unknown":true}`, `{} {}`, "\xff\xfe", `{"roles":"member"}`,
		`{"first_name":"Jos\u00e9"}`, `{"email":"a@example.com"}garbage`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var create createUserRequest
		if err := decodeJSON(body, &create); err != nil {
			assertBadRequest(t, err)
		}
		var edit editUserRequest
		if err := decodeJSON(body, &edit); err != nil {
			assertBadRequest(t, err)
		}
	})
}

func assertBadRequest(t *testing.T, err error) {
	t.Helper()
	var he *httpError
	if !errors.As(err, &he) || he.p.Status != http.StatusBadRequest || he.p.Detail == "" {
		t.Fatalf("decode error %v is not a 400 problem with a detail", err)
	}
}
