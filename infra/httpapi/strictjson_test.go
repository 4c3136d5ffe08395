package httpapi

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeJSONStrictShape(t *testing.T) {
	type item struct {
		Key string `json:"key"`
	}
	type inner struct {
		Items []item `json:"items"`
		Note  string `json:"note,omitempty"`
	}
	type request struct {
		Email string `json:"email"`
		Inner inner  `json:"inner"`
		Extra *inner `json:"extra"`
		Any   any    `json:"any"`
		Map   map[string]string
	}
	for _, tc := range []struct {
		name, body string
		typ, field string // "" when the body decodes
		detail     string
	}{
		{"valid", `{"email":"a@example.com","inner":{"items":[{"key":"x"}]},"any":{"Email":1,"email":2}}`, "", "", ""},
		{"nested null", `{"inner":null,"extra":null,"email":null}`, "", "", ""},
		{"map keys are free", `{"Map":{"a":"1","A":"2"}}`, "", "", ""},
		{"invalid UTF-8", "{\"email\":\"inv\xff@example.com\"}", "malformed-body", "", "not valid UTF-8"},
		{"lone high surrogate", `{"email":"a\ud800@example.com"}`, "malformed-body", "", "byte 11 is half of a UTF-16 surrogate pair"},
		{"lone low surrogate", `{"inner":{"note":"x\udc00"}}`, "malformed-body", "", "surrogate pair"},
		{"high surrogate then other escape", `{"email":"\ud83d\u0041"}`, "malformed-body", "", "surrogate pair"},
		{"surrogate pair", `{"email":"\ud83d\ude00 \\ud800 \"\\\ud83d\ude00","any":"\u00e9"}`, "", "", ""},
		{"top-level null", `null`, "malformed-body", "", "not null"},
		{"top-level string", `"x"`, "malformed-body", "", "not a string"},
		{"top-level array", `[]`, "malformed-body", "", "not an array"},
		{"duplicate key", `{"email":"a@example.com","email":"b@example.com"}`, "malformed-body", "email", "more than once"},
		{"nested duplicate", `{"inner":{"items":[{"key":"x","key":"y"}]}}`, "malformed-body", "inner.items[].key", "more than once"},
		{"case of a field", `{"Email":"a@example.com"}`, "unknown-field", "Email", `did you mean "email"`},
		{"nested case", `{"inner":{"NOTE":"x"}}`, "unknown-field", "inner.NOTE", `did you mean "note"`},
		{"case under a pointer", `{"extra":{"Items":[]}}`, "unknown-field", "extra.Items", `did you mean "items"`},
		{"unknown field", `{"bogus":1}`, "unknown-field", "bogus", `unknown field "bogus"`},
		{"syntax error still named by byte", `{"email":"a",}`, "malformed-body", "", "at byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dst request
			err := decodeJSON([]byte(tc.body), &dst)
			if tc.typ == "" {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			var he *httpError
			if !errors.As(err, &he) {
				t.Fatalf("err %v, want a %s problem", err, tc.typ)
			}
			if he.p.Type != tc.typ || he.p.Status != 400 || !strings.Contains(he.p.Detail, tc.detail) {
				t.Fatalf("problem %s %d %q, want %s 400 containing %q", he.p.Type, he.p.Status, he.p.Detail, tc.typ, tc.detail)
			}
			if tc.field != "" && (len(he.p.Errors) != 1 || he.p.Errors[0].Field != tc.field) {
				t.Fatalf("field errors %+v, want one naming %s", he.p.Errors, tc.field)
			}
		})
	}
}
