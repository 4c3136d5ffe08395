package passwordpolicy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain/passwordpolicy"
)

func TestCheck(t *testing.T) {
	common := fakeList{"sunshine": true, "letmein1": true}
	all := passwordpolicy.Policy{MinLength: 12, RequireClasses: passwordpolicy.Classes(), RejectCommon: true}
	only := func(c passwordpolicy.Class) passwordpolicy.Policy {
		return passwordpolicy.Policy{MinLength: 8, RequireClasses: []passwordpolicy.Class{c}}
	}
	tests := []struct {
		name     string
		p        passwordpolicy.Policy
		password string
		want     []string // codes; nil: accepted
	}{
		{name: "default accepts an uncommon password", p: passwordpolicy.DefaultPolicy(), password: "correct horse battery"},
		{name: "too short", p: passwordpolicy.Policy{MinLength: 10}, password: "abcdefghi", want: []string{"too_short"}},
		{name: "exactly the minimum", p: passwordpolicy.Policy{MinLength: 10}, password: "abcdefghij"},
		{name: "length counts characters, not bytes", p: passwordpolicy.Policy{MinLength: 8}, password: "ééééééé", want: []string{"too_short"}},
		{name: "too long", p: passwordpolicy.Policy{MinLength: 8}, password: strings.Repeat("a", 257), want: []string{"too_long"}},
		{name: "longest allowed", p: passwordpolicy.Policy{MinLength: 8}, password: strings.Repeat("a", 256)},
		{name: "missing lowercase", p: only(passwordpolicy.ClassLower), password: "ABCDEFGH1!", want: []string{"missing_lowercase"}},
		{name: "has lowercase", p: only(passwordpolicy.ClassLower), password: "ABCDEFGh"},
		{name: "missing uppercase", p: only(passwordpolicy.ClassUpper), password: "abcdefgh1!", want: []string{"missing_uppercase"}},
		{name: "non-ASCII uppercase counts", p: only(passwordpolicy.ClassUpper), password: "abcdefgÉ"},
		{name: "missing digit", p: only(passwordpolicy.ClassDigit), password: "abcdefgH!", want: []string{"missing_digit"}},
		{name: "missing symbol", p: only(passwordpolicy.ClassSymbol), password: "abcdefgH1", want: []string{"missing_symbol"}},
		{name: "a space is a symbol", p: only(passwordpolicy.ClassSymbol), password: "abcd efgh"},
		{name: "caseless letters are no symbol", p: only(passwordpolicy.ClassSymbol), password: "密码密码密码密码", want: []string{"missing_symbol"}},
		{name: "common", p: passwordpolicy.Policy{MinLength: 8, RejectCommon: true}, password: "sunshine", want: []string{"common_password"}},
		{name: "common in another case", p: passwordpolicy.Policy{MinLength: 8, RejectCommon: true}, password: "SunShine", want: []string{"common_password"}},
		{name: "common allowed when not rejected", p: passwordpolicy.Policy{MinLength: 8}, password: "sunshine"},
		{name: "every class present", p: all, password: "Tr0ub4dor&3xyz"},
		{
			name: "every rule at once", p: all, password: "sunshine",
			want: []string{"too_short", "missing_uppercase", "missing_digit", "missing_symbol", "common_password"},
		},
		{
			name: "every class missing and too long", p: all, password: strings.Repeat("密", 300),
			want: []string{"too_long", "missing_lowercase", "missing_uppercase", "missing_digit", "missing_symbol"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ve := passwordpolicy.Check(tc.p, tc.password, common)
			if tc.want == nil {
				if ve != nil {
					t.Fatalf("Check = %v, want nil", ve)
				}
				return
			}
			if ve == nil {
				t.Fatalf("Check = nil, want %q", tc.want)
			}
			var codes []string
			for _, f := range ve.Fields {
				if f.Field != "password" {
					t.Errorf("field %q, want password", f.Field)
				}
				if strings.Contains(f.Message, tc.password) {
					t.Errorf("message %q echoes the password", f.Message)
				}
				codes = append(codes, f.Code)
			}
			if !slices.Equal(codes, tc.want) {
				t.Fatalf("codes = %q, want %q", codes, tc.want)
			}
		})
	}
}

func TestCheckWithoutList(t *testing.T) {
	if ve := passwordpolicy.Check(passwordpolicy.DefaultPolicy(), "sunshine", nil); ve != nil {
		t.Fatalf("a nil list rejected: %v", ve)
	}
}

func TestReusedPassword(t *testing.T) {
	ve := passwordpolicy.ReusedPassword(3)
	if len(ve.Fields) != 1 || ve.Fields[0].Field != "password" || ve.Fields[0].Code != "reused_password" {
		t.Fatalf("ReusedPassword = %+v", ve.Fields)
	}
}
