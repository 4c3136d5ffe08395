package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestNormalizeEmail(t *testing.T) {
	local64 := strings.Repeat("l", 64)
	domain189 := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 61)

	tests := []struct {
		name string
		in   string
		want string // normalized address; empty when an error is expected
		code string // field error code on "email" when invalid
	}{
		{name: "plain", in: "john@example.com", want: "john@example.com"},
		{name: "trimmed, domain lower-cased, local case kept", in: " \tJohn.Doe@Example.COM\n", want: "John.Doe@example.com"},
		{name: "plus and other atext", in: "a.b+tag!#$%&'*/=?^_`{|}~-@example.co.uk", want: "a.b+tag!#$%&'*/=?^_`{|}~-@example.co.uk"},
		{name: "NFD accents become NFC", in: "Jose\u0301@Exa\u0301mple.com", want: "Jos\u00e9@ex\u00e1mple.com"},
		{name: "accented upper-case domain", in: "zoë@ÉCOLE.fr", want: "zoë@école.fr"},
		{name: "non-Latin scripts", in: "用户@例子.广告", want: "用户@例子.广告"},
		{name: "digits in labels", in: "x@1and1.com", want: "x@1and1.com"},
		{name: "inner hyphen", in: "x@my-host.example", want: "x@my-host.example"},
		{name: "local part at 64 bytes", in: local64 + "@example.com", want: local64 + "@example.com"},
		{name: "total at 254 bytes", in: local64 + "@" + domain189, want: local64 + "@" + domain189},

		{name: "empty", in: "", code: domain.CodeRequired},
		{name: "only space", in: " \t ", code: domain.CodeRequired},
		{name: "no @", in: "john.example.com", code: domain.CodeInvalid},
		{name: "full-width @ is not @", in: "john＠example.com", code: domain.CodeInvalid},
		{name: "two @", in: "john@doe@example.com", code: domain.CodeInvalid},
		{name: "no local part", in: "@example.com", code: domain.CodeInvalid},
		{name: "no domain", in: "john@", code: domain.CodeInvalid},
		{name: "display name", in: "John Doe <john@example.com>", code: domain.CodeInvalid},
		{name: "angle brackets", in: "<john@example.com>", code: domain.CodeInvalid},
		{name: "comment", in: "john@example.com (John)", code: domain.CodeInvalid},
		{name: "quoted local part", in: `"john doe"@example.com`, code: domain.CodeInvalid},
		{name: "space inside", in: "john doe@example.com", code: domain.CodeInvalid},
		{name: "double dot", in: "john..doe@example.com", code: domain.CodeInvalid},
		{name: "leading dot", in: ".john@example.com", code: domain.CodeInvalid},
		{name: "control character", in: "jo\x00hn@example.com", code: domain.CodeInvalid},
		{name: "invalid UTF-8", in: "jo\xffhn@example.com", code: domain.CodeInvalid},
		{name: "single-label domain", in: "john@localhost", code: domain.CodeInvalid},
		{name: "IP literal", in: "john@[127.0.0.1]", code: domain.CodeInvalid},
		{name: "IP address", in: "john@127.0.0.1", code: domain.CodeInvalid},
		{name: "numeric TLD", in: "john@example.123", code: domain.CodeInvalid},
		{name: "label starts with hyphen", in: "john@-example.com", code: domain.CodeInvalid},
		{name: "label ends with hyphen", in: "john@example-.com", code: domain.CodeInvalid},
		{name: "underscore in domain", in: "john@ex_ample.com", code: domain.CodeInvalid},
		{name: "empty label", in: "john@example..com", code: domain.CodeInvalid},
		{name: "trailing dot", in: "john@example.com.", code: domain.CodeInvalid},
		{name: "label over 63 bytes", in: "john@" + strings.Repeat("d", 64) + ".com", code: domain.CodeInvalid},
		{name: "local part over 64 bytes", in: local64 + "l@example.com", code: domain.CodeTooLong},
		{name: "total over 254 bytes", in: local64 + "@" + domain189 + "c", code: domain.CodeTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := user.NormalizeEmail(tt.in)
			if tt.code == "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				// Normalizing is idempotent.
				if again, err := user.NormalizeEmail(got); err != nil || again != got {
					t.Fatalf("second pass = %q, %v", again, err)
				}
				return
			}
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want a validation error", tt.in, got, err)
			}
			if len(ve.Fields) != 1 || ve.Fields[0].Field != "email" || ve.Fields[0].Code != tt.code {
				t.Fatalf("fields = %+v, want email:%s", ve.Fields, tt.code)
			}
		})
	}
}

func TestEmailKey(t *testing.T) {
	a, _ := user.NormalizeEmail("John.Doe@Example.com")
	b, _ := user.NormalizeEmail("john.doe@EXAMPLE.COM ")
	if a == b {
		t.Fatal("normalized forms should keep the local part's case")
	}
	if user.EmailKey(a) != user.EmailKey(b) || user.EmailKey(a) != "john.doe@example.com" {
		t.Fatalf("keys %q and %q differ", user.EmailKey(a), user.EmailKey(b))
	}
}

// TestNewEmail: an address given to a user refuses invisible characters,
// which NormalizeEmail (used to find stored addresses) lets through, so
// that an account created before the rule still signs in.
func TestNewEmail(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"plain", "john@example.com", true},
		{"zero-width non-joiner in a Persian name", "می\u200cخواهم@example.ir", true},
		{"zero-width joiner", "a\u200db@example.com", true},
		{"zero-width space", "a\u200b@example.com", false},
		{"right-to-left override", "\u202ec@example.com", false},
		{"byte-order mark", "c\ufeff@example.com", false},
		{"soft hyphen", "jo\u00adhn@example.com", false},
		{"word joiner", "jo\u2060hn@example.com", false},
	} {
		got, err := user.NewEmail(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("%s: NewEmail(%q) = %q, %v; want ok=%v", tc.name, tc.in, got, err, tc.ok)
		}
		if !tc.ok {
			if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "U+") {
				t.Errorf("%s: error %v does not name the character", tc.name, err)
			}
			if _, err := user.NormalizeEmail(tc.in); err != nil {
				t.Errorf("%s: NormalizeEmail refuses it (%v): a stored address could no longer be found", tc.name, err)
			}
		}
	}
}
