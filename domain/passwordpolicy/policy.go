package passwordpolicy

import (
	"fmt"
	"slices"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// Class is a kind of character a policy can require in a password.
type Class string

// The character classes, in their canonical order. A rune counts as
// ClassLower or ClassUpper when Unicode gives it that case, ClassDigit when
// it is a decimal digit, and ClassSymbol when it is neither a letter nor a
// digit (punctuation, symbols, spaces). Letters without case (such as CJK
// ideographs) count toward no class.
const (
	ClassLower  Class = "lower"
	ClassUpper  Class = "upper"
	ClassDigit  Class = "digit"
	ClassSymbol Class = "symbol"
)

// Classes lists every Class in canonical order.
func Classes() []Class { return []Class{ClassLower, ClassUpper, ClassDigit, ClassSymbol} }

// Bounds of a valid Policy (see Validate). MaxLength is not a policy
// setting: it is a fixed bound on every password, so that a request cannot
// make argon2 hash megabytes.
const (
	MinMinLength = 8
	MaxLength    = 256
	MaxMaxAge    = 3650 // days
	MaxHistory   = 24
)

// Policy is the password policy.
//
//   - MinLength is the least number of characters (Unicode code points) of a
//     password, MinMinLength..MaxLength.
//   - RequireClasses lists the character classes a password must each
//     contain at least once (a list, not a count, so that a refusal can say
//     which class is missing); empty requires none. Set stores it in
//     canonical order.
//   - MaxAgeDays is how many days a password may be used before it expires;
//     0 means never.
//   - History is how many of the user's most recent passwords, the current
//     one included, a new password may not equal; 0 allows any.
//   - RejectCommon refuses passwords on a list of commonly used ones, as
//     NIST SP 800-63B asks.
//
// In JSON:
//
//	{"min_length":12,"require_classes":["lower","digit"],"max_age_days":90,"history":5,"reject_common":true}
type Policy struct {
	MinLength      int     `json:"min_length"`
	RequireClasses []Class `json:"require_classes,omitempty"`
	MaxAgeDays     int     `json:"max_age_days"`
	History        int     `json:"history"`
	RejectCommon   bool    `json:"reject_common"`
}

// DefaultPolicy is the policy until an admin sets one: at least 8
// characters, no required classes, no expiry, no history, and commonly used
// passwords refused.
func DefaultPolicy() Policy {
	return Policy{MinLength: MinMinLength, RejectCommon: true}
}

// Validate checks every field and reports all broken rules at once as a
// *domain.ValidationError naming the JSON fields.
func (p Policy) Validate() error {
	var errs []error
	if p.MinLength < MinMinLength || p.MinLength > MaxLength {
		errs = append(errs, domain.Invalid("min_length", domain.CodeInvalid,
			fmt.Sprintf("must be between %d and %d", MinMinLength, MaxLength)))
	}
	if err := validateClasses(p.RequireClasses); err != nil {
		errs = append(errs, err)
	}
	if p.MaxAgeDays < 0 || p.MaxAgeDays > MaxMaxAge {
		errs = append(errs, domain.Invalid("max_age_days", domain.CodeInvalid,
			fmt.Sprintf("must be between 0 (never) and %d", MaxMaxAge)))
	}
	if p.History < 0 || p.History > MaxHistory {
		errs = append(errs, domain.Invalid("history", domain.CodeInvalid,
			fmt.Sprintf("must be between 0 (none) and %d", MaxHistory)))
	}
	return domain.CollectValidation(errs...)
}

func validateClasses(cs []Class) error {
	seen := make(map[Class]bool, len(cs))
	for _, c := range cs {
		switch {
		case !slices.Contains(Classes(), c):
			return domain.Invalid("require_classes", domain.CodeInvalid,
				`must list only "lower", "upper", "digit" and "symbol"`)
		case seen[c]:
			return domain.Invalid("require_classes", domain.CodeInvalid, "must not list a class twice")
		}
		seen[c] = true
	}
	return nil
}

// Requires reports whether the policy requires the class.
func (p Policy) Requires(c Class) bool { return slices.Contains(p.RequireClasses, c) }

// Equal reports whether p and q are the same policy; the order of the
// required classes does not matter.
func (p Policy) Equal(q Policy) bool {
	p, q = p.normalized(), q.normalized()
	return p.MinLength == q.MinLength && slices.Equal(p.RequireClasses, q.RequireClasses) &&
		p.MaxAgeDays == q.MaxAgeDays && p.History == q.History && p.RejectCommon == q.RejectCommon
}

// normalized lists the required classes in canonical order, nil for none.
// It keeps unknown classes out, so call it on a valid policy.
func (p Policy) normalized() Policy {
	var cs []Class
	for _, c := range Classes() {
		if p.Requires(c) {
			cs = append(cs, c)
		}
	}
	p.RequireClasses = cs
	return p
}

// Expired reports whether a password set at changedAt has expired by now
// under the policy. A policy without a maximum age, or a password that was
// never set (zero changedAt), never expires.
func (p Policy) Expired(changedAt, now time.Time) bool {
	if p.MaxAgeDays <= 0 || changedAt.IsZero() {
		return false
	}
	return !now.Before(changedAt.Add(time.Duration(p.MaxAgeDays) * 24 * time.Hour))
}
