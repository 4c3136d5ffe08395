package registration_test

import (
	"errors"
	"maps"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/registration"
)

func TestValidateFields(t *testing.T) {
	// open() has company (string, required, max 80), bio (string, max
	// 200 by default), seats (number), newsletter (boolean) and born_on
	// (date, required).
	base := map[string]any{"company": "Acme", "born_on": "1990-05-17"}
	with := func(kv ...any) map[string]any {
		m := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	without := func(keys ...string) map[string]any {
		m := maps.Clone(base)
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	tests := []struct {
		name       string
		in         map[string]any
		want       map[string]string
		wantFields []string // set: the call fails with these "field:code"
	}{
		{name: "required only", in: base, want: map[string]string{"company": "Acme", "born_on": "1990-05-17"}},
		{
			name: "every type",
			in:   with("company", "  Acme Ltd ", "bio", "Hi", "seats", 12.0, "newsletter", false, "born_on", " 2000-02-29 "),
			want: map[string]string{"company": "Acme Ltd", "bio": "Hi", "seats": "12", "newsletter": "false", "born_on": "2000-02-29"},
		},
		{name: "fractional number", in: with("seats", 0.5), want: map[string]string{"company": "Acme", "born_on": "1990-05-17", "seats": "0.5"}},
		{name: "large number in plain digits", in: with("seats", 1e21), want: map[string]string{"company": "Acme", "born_on": "1990-05-17", "seats": "1000000000000000000000"}},
		{name: "negative zero", in: with("seats", math.Copysign(0, -1)), want: map[string]string{"company": "Acme", "born_on": "1990-05-17", "seats": "0"}},
		{name: "true", in: with("newsletter", true), want: map[string]string{"company": "Acme", "born_on": "1990-05-17", "newsletter": "true"}},
		{name: "optional nil or empty left out", in: with("bio", "   ", "seats", nil, "newsletter", ""), want: map[string]string{"company": "Acme", "born_on": "1990-05-17"}},
		{name: "nil input without required fields", in: nil, wantFields: []string{"fields.company:required", "fields.born_on:required"}},
		{name: "required missing", in: without("company"), wantFields: []string{"fields.company:required"}},
		{name: "required nil", in: with("company", nil), wantFields: []string{"fields.company:required"}},
		{name: "required blank", in: with("company", " \t "), wantFields: []string{"fields.company:required"}},
		{name: "unknown key", in: with("zeta", "x", "alpha", 1.0), wantFields: []string{"fields.alpha:unknown", "fields.zeta:unknown"}},
		{name: "string as a number", in: with("company", 42.0), wantFields: []string{"fields.company:invalid"}},
		{name: "control character in a string", in: with("bio", "a\nb"), wantFields: []string{"fields.bio:invalid"}},
		{name: "number as a string", in: with("seats", "12"), wantFields: []string{"fields.seats:invalid"}},
		{name: "NaN", in: with("seats", math.NaN()), wantFields: []string{"fields.seats:invalid"}},
		{name: "infinity", in: with("seats", math.Inf(-1)), wantFields: []string{"fields.seats:invalid"}},
		{name: "boolean as a string", in: with("newsletter", "true"), wantFields: []string{"fields.newsletter:invalid"}},
		{name: "date as a number", in: with("born_on", 19900517.0), wantFields: []string{"fields.born_on:invalid"}},
		{name: "date not a real day", in: with("born_on", "2001-02-29"), wantFields: []string{"fields.born_on:invalid"}},
		{name: "date without zero padding", in: with("born_on", "1990-5-17"), wantFields: []string{"fields.born_on:invalid"}},
		{name: "date with a time", in: with("born_on", "1990-05-17T00:00:00Z"), wantFields: []string{"fields.born_on:invalid"}},
		{name: "object value", in: with("bio", map[string]any{}), wantFields: []string{"fields.bio:invalid"}},
		{name: "longest string", in: with("company", strings.Repeat("é", 80)), want: map[string]string{"company": strings.Repeat("é", 80), "born_on": "1990-05-17"}},
		{name: "too long counts characters", in: with("company", strings.Repeat("é", 81)), wantFields: []string{"fields.company:too_long"}},
		{name: "default limit", in: with("bio", strings.Repeat("a", 201)), wantFields: []string{"fields.bio:too_long"}},
		{name: "length is judged after trimming", in: with("bio", " "+strings.Repeat("a", 200)+" "), want: map[string]string{"company": "Acme", "born_on": "1990-05-17", "bio": strings.Repeat("a", 200)}},
		{
			name:       "every error at once, in field order then unknown keys",
			in:         map[string]any{"zz": true, "born_on": "17/05/1990", "newsletter": 1.0, "bio": strings.Repeat("a", 201)},
			wantFields: []string{"fields.company:required", "fields.bio:too_long", "fields.newsletter:invalid", "fields.born_on:invalid", "fields.zz:unknown"},
		},
	}
	s := open()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ValidateFields(tc.in)
			if tc.wantFields != nil {
				var ve *domain.ValidationError
				if !errors.As(err, &ve) || got != nil {
					t.Fatalf("ValidateFields = %v, %v; want nil and a validation error", got, err)
				}
				if f := domaintest.ErrorFields(err); !reflect.DeepEqual(f, tc.wantFields) {
					t.Fatalf("fields = %q, want %q", f, tc.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateFields: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("values = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateFieldsWithoutFields(t *testing.T) {
	got, err := registration.Default().ValidateFields(nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("no fields, no input: %v, %v", got, err)
	}
	if _, err := registration.Default().ValidateFields(map[string]any{"company": "Acme"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("a value without fields: %v, want invalid", err)
	}
}
