package registration

import (
	"slices"
	"strings"
)

// Placement returns the role keys and organization of a new account with
// the given email. The rule for the email's domain decides, or, when no
// rule has that domain, the rule for its nearest parent domain: an email at
// "eu.example.com" falls back to a rule for "example.com", one at
// "notexample.com" does not. Domains compare case-insensitively. A rule without roles gives
// DefaultRoles, one without an organization gives DefaultOrgID. With no
// matching rule, or an email without a domain, it returns the defaults.
// roles is a fresh slice, nil for none.
func (s Settings) Placement(email string) (roles []string, orgID string) {
	roles, orgID = s.DefaultRoles, s.DefaultOrgID
	if r, ok := s.ruleFor(email); ok {
		if len(r.Roles) > 0 {
			roles = r.Roles
		}
		if r.OrgID != "" {
			orgID = r.OrgID
		}
	}
	if len(roles) == 0 {
		return nil, orgID
	}
	return slices.Clone(roles), orgID
}

// ruleFor returns the most specific rule whose domain is the email's
// domain or a parent of it.
func (s Settings) ruleFor(email string) (DomainRule, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return DomainRule{}, false
	}
	d := normalizeDomain(email[at+1:])
	if d == "" {
		return DomainRule{}, false
	}
	var best DomainRule
	found := false
	for _, r := range s.DomainRules {
		rd := normalizeDomain(r.Domain)
		if rd == "" || (d != rd && !strings.HasSuffix(d, "."+rd)) {
			continue
		}
		if !found || len(rd) > len(normalizeDomain(best.Domain)) {
			best, found = r, true
		}
	}
	return best, found
}
