package passwordpolicy

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
)

// Stable codes of the field errors on "password". Clients branch on them.
const (
	CodeTooShort         = "too_short"
	CodeTooLong          = domain.CodeTooLong
	CodeMissingLowercase = "missing_lowercase"
	CodeMissingUppercase = "missing_uppercase"
	CodeMissingDigit     = "missing_digit"
	CodeMissingSymbol    = "missing_symbol"
	CodeCommonPassword   = "common_password"
	CodeReusedPassword   = "reused_password"
	passwordField        = "password"
)

// CommonList is a list of commonly used passwords
// (infra/crypto/password.CommonList is one).
type CommonList interface {
	// Contains reports whether pw is on the list, ignoring case.
	Contains(pw string) bool
}

// Check judges a new password against the policy and returns nil when it
// passes, or a *domain.ValidationError with one FieldError on "password"
// per broken rule: too_short / too_long, then missing_lowercase,
// missing_uppercase, missing_digit, missing_symbol for each required class
// it lacks, then common_password. Messages never contain the password.
//
// common may be nil, which means an empty list. Reuse of previous passwords
// (ReusedPassword) is for the caller to judge.
//
// The result is a concrete pointer: compare it with nil before returning
// it as an error.
func Check(p Policy, password string, common CommonList) *domain.ValidationError {
	var ve domain.ValidationError
	add := func(code, msg string) {
		ve.Fields = append(ve.Fields, domain.FieldError{Field: passwordField, Code: code, Message: msg})
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < p.MinLength:
		add(CodeTooShort, fmt.Sprintf("must be at least %d characters", p.MinLength))
	case n > MaxLength:
		add(CodeTooLong, fmt.Sprintf("must be at most %d characters", MaxLength))
	}
	has := classesOf(password)
	for _, c := range Classes() {
		if p.Requires(c) && !has[c] {
			add(missing(c))
		}
	}
	if p.RejectCommon && common != nil && common.Contains(password) {
		add(CodeCommonPassword, "is too commonly used; choose a less guessable password")
	}
	if len(ve.Fields) == 0 {
		return nil
	}
	return &ve
}

// ReusedPassword is the error for a new password that equals one of the
// user's last n passwords.
func ReusedPassword(n int) *domain.ValidationError {
	return domain.Invalid(passwordField, CodeReusedPassword,
		fmt.Sprintf("must differ from the last %d passwords", n))
}

// missing returns the code and message of a password that lacks c.
func missing(c Class) (code, msg string) {
	switch c {
	case ClassLower:
		return CodeMissingLowercase, "must contain a lowercase letter"
	case ClassUpper:
		return CodeMissingUppercase, "must contain an uppercase letter"
	case ClassDigit:
		return CodeMissingDigit, "must contain a digit"
	default:
		return CodeMissingSymbol, "must contain a symbol (a character that is neither a letter nor a digit)"
	}
}

// classesOf returns the classes the password has characters of.
func classesOf(pw string) map[Class]bool {
	has := make(map[Class]bool, 4)
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			has[ClassLower] = true
		case unicode.IsUpper(r):
			has[ClassUpper] = true
		case unicode.IsDigit(r):
			has[ClassDigit] = true
		case !unicode.IsLetter(r):
			has[ClassSymbol] = true
		}
	}
	return has
}
