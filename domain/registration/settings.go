package registration

import (
	"slices"

	"github.com/clarynext/usermgmt/domain/role"
)

// FieldType is the kind of value an extra sign-up field takes.
type FieldType string

// The field types. A value of each is given in JSON as a string, a number,
// a boolean, or a "YYYY-MM-DD" string.
const (
	TypeString  FieldType = "string"
	TypeNumber  FieldType = "number"
	TypeBoolean FieldType = "boolean"
	TypeDate    FieldType = "date"
)

// FieldTypes lists every FieldType.
func FieldTypes() []FieldType { return []FieldType{TypeString, TypeNumber, TypeBoolean, TypeDate} }

// Bounds of valid Settings (see Settings.Validate).
const (
	MaxFields        = 20
	MaxDomainRules   = 100
	MaxLabelLength   = 100  // characters
	DefaultMaxLength = 200  // characters of a string field whose MaxLength is 0
	MaxMaxLength     = 1000 // characters
)

// Field is an extra field of the sign-up form.
//
//   - Key names the value in the sign-up request and on the account:
//     a lowercase letter, then up to 39 of a-z, 0-9 and _; unique.
//   - Label is what the form shows, 1..MaxLabelLength characters.
//   - Type is one of FieldTypes.
//   - Required refuses a sign-up without a value.
//   - MaxLength bounds a string value, in characters, 0..MaxMaxLength;
//     0 means DefaultMaxLength (see Limit). It must be 0 for other types.
type Field struct {
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Type      FieldType `json:"type"`
	Required  bool      `json:"required"`
	MaxLength int       `json:"max_length,omitempty"`
}

// Limit is the most characters a string value of f may have: MaxLength,
// or DefaultMaxLength when that is 0.
func (f Field) Limit() int {
	if f.MaxLength <= 0 {
		return DefaultMaxLength
	}
	return f.MaxLength
}

// DomainRule places the accounts of one email domain: an email at Domain,
// or at any subdomain of it, gets Roles (DefaultRoles when empty) and the
// organization OrgID (DefaultOrgID when empty). Domain is stored lowercase
// without a leading "@".
type DomainRule struct {
	Domain string   `json:"domain"`
	OrgID  string   `json:"org_id,omitempty"`
	Roles  []string `json:"roles,omitempty"`
}

// Settings are the self-registration settings.
//
//   - Enabled lets people sign up on their own (off by default).
//   - RequireVerification makes a new account verify its email before it
//     can log in (on by default).
//   - DefaultRoles are the role keys of a new account no DomainRule places
//     (by default the built-in "member"); empty gives no roles.
//   - DefaultOrgID is the organization of such an account; empty for none.
//   - DomainRules place accounts by email domain, at most MaxDomainRules,
//     one per domain; the most specific matching rule wins (see Placement).
//   - Fields are the extra sign-up fields, at most MaxFields, in form order.
//
// State.Set stores them normalized: text trimmed, domains lowercase without
// a leading "@", role lists sorted without duplicates, empty lists nil.
//
// In JSON:
//
//	{"enabled":true,"require_verification":true,"default_roles":["member"],
//	 "default_org_id":"acme","domain_rules":[{"domain":"example.com","roles":["author"]}],
//	 "fields":[{"key":"company","label":"Company","type":"string","required":true}]}
type Settings struct {
	Enabled             bool         `json:"enabled"`
	RequireVerification bool         `json:"require_verification"`
	DefaultRoles        []string     `json:"default_roles,omitempty"`
	DefaultOrgID        string       `json:"default_org_id,omitempty"`
	DomainRules         []DomainRule `json:"domain_rules,omitempty"`
	Fields              []Field      `json:"fields,omitempty"`
}

// Default are the settings until an admin sets some: self-registration
// off, email verification required, new accounts get the built-in
// "member" role and no organization, no domain rules and no extra fields.
func Default() Settings {
	return Settings{RequireVerification: true, DefaultRoles: []string{role.Member}}
}

// Equal reports whether s and t are the same settings. Compare normalized
// settings: the order of role keys matters here, and so does the order of
// rules and fields (which is the form's order).
func (s Settings) Equal(t Settings) bool {
	return s.Enabled == t.Enabled && s.RequireVerification == t.RequireVerification &&
		slices.Equal(s.DefaultRoles, t.DefaultRoles) && s.DefaultOrgID == t.DefaultOrgID &&
		slices.EqualFunc(s.DomainRules, t.DomainRules, DomainRule.equal) &&
		slices.Equal(s.Fields, t.Fields)
}

func (r DomainRule) equal(q DomainRule) bool {
	return r.Domain == q.Domain && r.OrgID == q.OrgID && slices.Equal(r.Roles, q.Roles)
}

// Clone returns a deep copy of s, so a caller may change it freely.
func (s Settings) Clone() Settings {
	s.DefaultRoles = slices.Clone(s.DefaultRoles)
	s.Fields = slices.Clone(s.Fields)
	s.DomainRules = slices.Clone(s.DomainRules)
	for i := range s.DomainRules {
		s.DomainRules[i].Roles = slices.Clone(s.DomainRules[i].Roles)
	}
	return s
}
