package user

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/clarynext/usermgmt/domain"
)

// Email length limits in bytes, from RFC 5321 (path limit 256 minus the
// angle brackets) and its local-part limit.
const (
	MaxEmailLength     = 254
	MaxEmailLocalPart  = 64
	maxDomainLabelSize = 63
)

// NormalizeEmail validates an email address and returns the form the
// service stores and compares: surrounding space trimmed, Unicode NFC, the
// domain lower-cased. The local part keeps its case, because mail servers
// may treat it case-sensitively and users expect to see what they typed.
//
// Beyond what net/mail accepts, it requires a bare address (no display
// name, angle brackets, comments or quoted local part), exactly one "@",
// and a domain of at least two dot-separated labels made of letters,
// digits and inner hyphens whose last label is not numeric (so no IP
// addresses or intranet host names). Internationalized domains are kept in
// Unicode; no IDNA conversion is done.
//
// Errors are *domain.ValidationError on the field "email".
func NormalizeEmail(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalidEmail("must be valid UTF-8 text")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if s == "" {
		return "", domain.Invalid("email", domain.CodeRequired, "email is required")
	}
	local, dom, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(dom, "@") {
		return "", invalidEmail("must contain exactly one @")
	}
	if local == "" || dom == "" {
		return "", invalidEmail("must have a local part and a domain")
	}
	dom = norm.NFC.String(strings.ToLower(dom))
	s = local + "@" + dom
	if len(s) > MaxEmailLength {
		return "", domain.Invalid("email", domain.CodeTooLong, "must be at most 254 bytes long")
	}
	if len(local) > MaxEmailLocalPart {
		return "", domain.Invalid("email", domain.CodeTooLong, "the part before @ must be at most 64 bytes long")
	}
	// A bare address parses back to itself; anything net/mail has to
	// rewrite (display name, <...>, comments, quotes) is rejected.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", invalidEmail("is not a valid email address")
	}
	if !validMailDomain(dom) {
		return "", invalidEmail("has an invalid domain")
	}
	return s, nil
}

// NewEmail is NormalizeEmail for an address a user is given or chooses
// (create, email change, sign-up): it also refuses domain.Hidden
// characters, controls and spaces anywhere, with which two addresses that
// look alike would be two accounts. Lookups of stored addresses (login,
// forgot password) use NormalizeEmail alone, so an account created before
// this rule still signs in.
func NewEmail(s string) (string, error) {
	normalized, err := NormalizeEmail(s)
	if err != nil {
		return "", err
	}
	if i := strings.IndexFunc(normalized, func(r rune) bool {
		return domain.Hidden(r) || unicode.IsControl(r) || unicode.IsSpace(r)
	}); i >= 0 {
		r, _ := utf8.DecodeRuneInString(normalized[i:])
		return "", invalidEmail(fmt.Sprintf("must not contain invisible or control characters (U+%04X)", r))
	}
	return normalized, nil
}

func invalidEmail(msg string) error {
	return domain.Invalid("email", domain.CodeInvalid, msg)
}

// validMailDomain checks a lower-cased domain: two or more labels of
// letters (any script), digits and inner hyphens, the last not all digits.
func validMailDomain(dom string) bool {
	labels := strings.Split(dom, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxDomainLabelSize || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0
}

// EmailKey is the form under which email uniqueness is decided: the
// normalized address lower-cased as a whole. The stored address keeps the
// local part's case, but "John@example.com" and "john@example.com" are one
// mailbox for every provider users actually have, so they must not belong
// to two users. Pass a NormalizeEmail result.
func EmailKey(normalized string) string {
	return strings.ToLower(normalized)
}
