package passwordpolicy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
)

func lower(s string) string { return strings.ToLower(s) }

func TestPolicyValidate(t *testing.T) {
	all := passwordpolicy.Classes()
	tests := []struct {
		name       string
		p          passwordpolicy.Policy
		wantFields []string // nil: valid
	}{
		{name: "default", p: passwordpolicy.DefaultPolicy()},
		{name: "smallest", p: passwordpolicy.Policy{MinLength: 8}},
		{name: "largest", p: passwordpolicy.Policy{MinLength: 256, RequireClasses: all, MaxAgeDays: 3650, History: 24, RejectCommon: true}},
		{name: "zero policy", p: passwordpolicy.Policy{}, wantFields: []string{"min_length:invalid"}},
		{
			name:       "everything too large",
			p:          passwordpolicy.Policy{MinLength: 257, RequireClasses: append(all, "lower"), MaxAgeDays: 3651, History: 25},
			wantFields: []string{"min_length:invalid", "require_classes:invalid", "max_age_days:invalid", "history:invalid"},
		},
		{name: "negative", p: passwordpolicy.Policy{MinLength: 8, MaxAgeDays: -1, History: -1}, wantFields: []string{"max_age_days:invalid", "history:invalid"}},
		{name: "unknown class", p: passwordpolicy.Policy{MinLength: 8, RequireClasses: []passwordpolicy.Class{"Lower"}}, wantFields: []string{"require_classes:invalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.wantFields == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Validate = %v, want a validation error", err)
			}
			if got := domaintest.ErrorFields(err); !slices.Equal(got, tc.wantFields) {
				t.Fatalf("fields = %q, want %q", got, tc.wantFields)
			}
		})
	}
}

func TestPolicyExpired(t *testing.T) {
	day := 24 * time.Hour
	set := now.Add(-30 * day)
	tests := []struct {
		name      string
		maxAge    int
		changedAt time.Time
		at        time.Time
		want      bool
	}{
		{name: "no maximum age", maxAge: 0, changedAt: set, at: now.Add(10000 * day)},
		{name: "younger than the maximum", maxAge: 31, changedAt: set, at: now},
		{name: "exactly the maximum", maxAge: 30, changedAt: set, at: now, want: true},
		{name: "a second before the maximum", maxAge: 30, changedAt: set, at: now.Add(-time.Second)},
		{name: "older than the maximum", maxAge: 1, changedAt: set, at: now, want: true},
		{name: "never set", maxAge: 1, at: now},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := passwordpolicy.Policy{MinLength: 8, MaxAgeDays: tc.maxAge}
			if got := p.Expired(tc.changedAt, tc.at); got != tc.want {
				t.Fatalf("Expired = %v, want %v", got, tc.want)
			}
		})
	}
}
