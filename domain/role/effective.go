package role

import (
	"slices"
	"strings"
)

// GrantKind says how a user holds a role.
type GrantKind string

// The ways to hold a role.
const (
	Direct   GrantKind = "role"      // assigned to the user
	OrgRole  GrantKind = "org_role"  // the user's role within its organization
	TeamRole GrantKind = "team_role" // the user's role within a team
)

// Grant is one role a user holds. Scope is the organization or team ID for
// OrgRole and TeamRole grants, empty for Direct ones.
type Grant struct {
	Kind  GrantKind `json:"kind"`
	Role  string    `json:"role"`
	Scope string    `json:"scope,omitempty"`
}

// Effective is one permission a user holds and every grant that gives it.
type Effective struct {
	Permission Permission `json:"permission"`
	Sources    []Grant    `json:"sources"`
}

// Explanation answers "why does (or doesn't) this user hold p?" — the
// spec's Missing Permissions checklist, answered by the system.
type Explanation struct {
	Permission Permission `json:"permission"`
	Known      bool       `json:"known"`
	Held       bool       `json:"held"`
	// Sources are the grants that give the permission.
	Sources []Grant `json:"sources"`
	// GrantedBy are the roles that would give it, for a permission not held.
	GrantedBy []string `json:"granted_by"`
	// Unresolved are grants of roles the catalogue does not know (deleted
	// custom roles): they give nothing.
	Unresolved []Grant `json:"unresolved"`
}

// Catalogue resolves role keys: the built-in roles and the live custom
// roles. It is a value built for one decision or query; it holds no
// connections.
type Catalogue struct {
	defs map[string]Definition
}

// NewCatalogue returns the built-in roles plus the given custom ones. A
// custom role cannot shadow a built-in one.
func NewCatalogue(custom ...Definition) Catalogue {
	c := Catalogue{defs: map[string]Definition{}}
	for _, d := range custom {
		c.defs[d.Key] = d
	}
	for _, d := range BuiltIn() {
		c.defs[d.Key] = d
	}
	return c
}

// Lookup returns the role with the key.
func (c Catalogue) Lookup(key string) (Definition, bool) {
	d, ok := c.defs[key]
	return d, ok
}

// Roles lists every role, built-in first, then custom by key.
func (c Catalogue) Roles() []Definition {
	out := make([]Definition, 0, len(c.defs))
	for _, d := range c.defs {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Definition) int {
		if a.BuiltIn != b.BuiltIn {
			if a.BuiltIn {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Effective returns the union of the permissions the grants give, sorted by
// permission, each with its sources in the grants' order. Grants of unknown
// roles give nothing.
func (c Catalogue) Effective(grants []Grant) []Effective {
	by := map[Permission][]Grant{}
	for _, g := range grants {
		d, ok := c.defs[g.Role]
		if !ok {
			continue
		}
		for _, p := range d.Permissions {
			if !slices.Contains(by[p], g) {
				by[p] = append(by[p], g)
			}
		}
	}
	out := make([]Effective, 0, len(by))
	for p, sources := range by {
		out = append(out, Effective{Permission: p, Sources: sources})
	}
	slices.SortFunc(out, func(a, b Effective) int { return strings.Compare(string(a.Permission), string(b.Permission)) })
	return out
}

// Explain tells whether the grants give p and why, or which roles would.
func (c Catalogue) Explain(p Permission, grants []Grant) Explanation {
	ex := Explanation{Permission: p, Known: Known(p), Sources: []Grant{}, GrantedBy: []string{}, Unresolved: []Grant{}}
	for _, g := range grants {
		d, ok := c.defs[g.Role]
		if !ok {
			ex.Unresolved = append(ex.Unresolved, g)
			continue
		}
		if slices.Contains(d.Permissions, p) {
			ex.Sources = append(ex.Sources, g)
		}
	}
	ex.Held = len(ex.Sources) > 0
	if !ex.Held {
		for _, d := range c.Roles() {
			if slices.Contains(d.Permissions, p) {
				ex.GrantedBy = append(ex.GrantedBy, d.Key)
			}
		}
	}
	return ex
}
