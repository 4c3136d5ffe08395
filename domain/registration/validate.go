package registration

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/role"
)

// Stable codes of field errors beyond those of package domain. Clients
// branch on them.
const (
	// CodeDuplicate: a field key or rule domain that an earlier entry of
	// the same list already has.
	CodeDuplicate = "duplicate"
	// CodeTooMany: a list longer than its bound.
	CodeTooMany = "too_many"
	// CodeUnknown: a sign-up value for a field the settings do not have.
	CodeUnknown = "unknown"
)

// fieldKeyPattern is the shape of Field.Key.
var fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// maxDomainLength bounds a DNS name (RFC 1035), without the final dot.
const maxDomainLength = 253

// Validate checks every rule of s as State.Set does, after the same
// normalization, and reports all broken ones at once as a
// *domain.ValidationError. Field paths follow the JSON names and the
// positions in s: "default_roles[1]", "domain_rules[0].domain",
// "fields[2].key". It does not check that roles and organizations exist.
func (s Settings) Validate() error {
	_, err := s.normalized()
	return err
}

// normalized returns s trimmed, with domains lowercase without a leading
// "@", role lists sorted without duplicates and empty lists nil, and a
// *domain.ValidationError naming every broken rule (nil when s is valid).
// Positions in error paths are those of s, before duplicates are dropped.
func (s Settings) normalized() (Settings, error) {
	var p problems
	out := Settings{Enabled: s.Enabled, RequireVerification: s.RequireVerification}
	out.DefaultRoles = normalizeRoles(&p, "default_roles", s.DefaultRoles)
	out.DefaultOrgID = normalizeOrgID(&p, "default_org_id", s.DefaultOrgID)
	out.DomainRules = normalizeRules(&p, s.DomainRules)
	out.Fields = normalizeFields(&p, s.Fields)
	if len(s.DomainRules) > 0 && !s.RequireVerification {
		// A rule trusts the address's domain: without verification anybody
		// could claim an organization by typing one of its addresses.
		p.add("domain_rules", domain.CodeInvalid, "email domain rules need require_verification: an unverified address proves nothing about its domain")
	}
	if err := p.err(); err != nil {
		return Settings{}, err
	}
	return out, nil
}

// problems collects the field errors of one validation.
type problems struct{ fields []domain.FieldError }

func (p *problems) add(path, code, format string, args ...any) {
	p.fields = append(p.fields, domain.FieldError{Field: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

// addAt adds the field errors of err, a *domain.ValidationError of a
// helper from another package, under path.
func (p *problems) addAt(path string, err error) {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		p.add(path, domain.CodeInvalid, "%v", err)
		return
	}
	for _, f := range ve.Fields {
		p.add(path, f.Code, "%s", f.Message)
	}
}

func (p *problems) err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &domain.ValidationError{Fields: p.fields}
}

// normalizeRoles checks each trimmed key with role.CheckKey, the rule of
// the role catalogue and of users' role lists, and returns the valid ones
// sorted without duplicates.
func normalizeRoles(p *problems, path string, keys []string) []string {
	var out []string
	for i, k := range keys {
		k = strings.TrimSpace(k)
		at := fmt.Sprintf("%s[%d]", path, i)
		if k == "" {
			p.add(at, domain.CodeRequired, "role key is required")
			continue
		}
		if err := role.CheckKey(k); err != nil {
			p.addAt(at, err)
			continue
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// normalizeOrgID trims id and, unless it is empty (no organization),
// checks it with org.ValidateID.
func normalizeOrgID(p *problems, path, id string) string {
	id = strings.TrimSpace(id)
	if id != "" {
		if err := org.ValidateID(id); err != nil {
			p.addAt(path, err)
		}
	}
	return id
}

func normalizeRules(p *problems, rules []DomainRule) []DomainRule {
	if len(rules) > MaxDomainRules {
		p.add("domain_rules", CodeTooMany, "must have at most %d rules, has %d", MaxDomainRules, len(rules))
	}
	if len(rules) == 0 {
		return nil
	}
	out := make([]DomainRule, len(rules))
	seen := make(map[string]int, len(rules))
	for i, r := range rules {
		at := func(name string) string { return fmt.Sprintf("domain_rules[%d].%s", i, name) }
		d := normalizeDomain(r.Domain)
		if code, msg := checkDomain(d); code != "" {
			p.add(at("domain"), code, "%s", msg)
		} else if j, dup := seen[d]; dup {
			p.add(at("domain"), CodeDuplicate, "domain_rules[%d] already has the domain %q", j, d)
		} else {
			seen[d] = i
		}
		out[i] = DomainRule{
			Domain: d,
			OrgID:  normalizeOrgID(p, at("org_id"), r.OrgID),
			Roles:  normalizeRoles(p, at("roles"), r.Roles),
		}
	}
	return out
}

// normalizeDomain is an email domain as DomainRule stores it and
// Placement compares it: trimmed, without a leading "@", lowercase.
func normalizeDomain(d string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
}

// checkDomain returns the code and message of what makes d, a normalized
// domain, no DNS name of at least two labels; "" when it is one.
func checkDomain(d string) (code, msg string) {
	const shape = "must be a domain name such as example.com: labels of 1 to 63 of a-z, 0-9 and -, " +
		"not starting or ending with -, separated by dots"
	switch {
	case d == "":
		return domain.CodeRequired, "domain is required"
	case len(d) > maxDomainLength:
		return domain.CodeTooLong, fmt.Sprintf("must be at most %d characters", maxDomainLength)
	case !strings.Contains(d, "."):
		return domain.CodeInvalid, shape
	}
	for label := range strings.SplitSeq(d, ".") {
		if !validLabel(label) {
			return domain.CodeInvalid, shape
		}
	}
	return "", ""
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func normalizeFields(p *problems, fields []Field) []Field {
	if len(fields) > MaxFields {
		p.add("fields", CodeTooMany, "must have at most %d fields, has %d", MaxFields, len(fields))
	}
	if len(fields) == 0 {
		return nil
	}
	out := make([]Field, len(fields))
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		at := func(name string) string { return fmt.Sprintf("fields[%d].%s", i, name) }
		f.Key = strings.TrimSpace(f.Key)
		f.Label = strings.TrimSpace(f.Label)
		f.Type = FieldType(strings.TrimSpace(string(f.Type)))

		switch j, dup := seen[f.Key]; {
		case f.Key == "":
			p.add(at("key"), domain.CodeRequired, "key is required")
		case !fieldKeyPattern.MatchString(f.Key):
			p.add(at("key"), domain.CodeInvalid, "must be a lowercase letter, then up to 39 of a-z, 0-9 and _")
		case dup:
			p.add(at("key"), CodeDuplicate, "fields[%d] already has the key %q", j, f.Key)
		default:
			seen[f.Key] = i
		}
		if code, msg := checkLabel(f.Label); code != "" {
			p.add(at("label"), code, "%s", msg)
		}
		validType := slices.Contains(FieldTypes(), f.Type)
		switch {
		case f.Type == "":
			p.add(at("type"), domain.CodeRequired, "type is required")
		case !validType:
			p.add(at("type"), domain.CodeInvalid, `must be "string", "number", "boolean" or "date"`)
		}
		switch {
		case f.MaxLength < 0 || f.MaxLength > MaxMaxLength:
			p.add(at("max_length"), domain.CodeInvalid, "must be between 0 (%d) and %d", DefaultMaxLength, MaxMaxLength)
		case validType && f.Type != TypeString && f.MaxLength != 0:
			p.add(at("max_length"), domain.CodeInvalid, "must be 0 for a field of type %q", f.Type)
		}
		out[i] = f
	}
	return out
}

// checkLabel returns the code and message of what is wrong with a
// trimmed label; "" when nothing is.
func checkLabel(l string) (code, msg string) {
	switch {
	case l == "":
		return domain.CodeRequired, "label is required"
	case !utf8.ValidString(l) || strings.ContainsFunc(l, unicode.IsControl) || strings.ContainsFunc(l, domain.Hidden):
		return domain.CodeInvalid, "must be text without control or invisible formatting characters"
	case utf8.RuneCountInString(l) > MaxLabelLength:
		return domain.CodeTooLong, fmt.Sprintf("must be at most %d characters", MaxLabelLength)
	}
	return "", ""
}
