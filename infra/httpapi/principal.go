package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
)

// Principal is the authenticated caller of a request and what it may do.
//
// Scoping rule: only a System Admin (the system_admin role held directly)
// acts globally. Every other permission, however it is granted (a direct
// role, the organization role or a team role), applies within the caller's
// own organization only: a caller without an organization and without
// System Admin manages no users. Users of other organizations do not exist
// for such a caller (404), and lists are filtered to its organization.
type Principal struct {
	UserID         uuid.UUID
	SessionID      string
	SessionCreated time.Time
	// Restricted: the session may only change the password (it expired).
	Restricted bool
	// Global is set for a System Admin.
	Global bool
	// OrgID is the organization the caller's permissions apply to, empty
	// for none.
	OrgID string
	// Effective lists every permission held, with its sources.
	Effective []role.Effective
	perms     map[role.Permission]bool
	// grants are the roles the permissions come from, which the
	// escalation checks resolve again from the event store.
	grants []role.Grant
}

// Can reports whether the principal holds the permission (within OrgID
// unless Global).
func (p *Principal) Can(perm role.Permission) bool { return p.Global || p.perms[perm] }

// Sees reports whether the principal may see a user of the organization.
func (p *Principal) Sees(orgID string) bool { return p.Global || (p.OrgID != "" && orgID == p.OrgID) }

// canGrant reports whether a principal holding the permissions own may
// hand out role key, as cat defines it: it must hold every permission the
// role gives, and only a System Admin grants System Admin. An unknown key
// is refused (fail closed).
func (p *Principal) canGrant(own map[role.Permission]bool, cat role.Catalogue, key string) bool {
	if p.Global {
		return true
	}
	if key == role.SystemAdmin {
		return false
	}
	d, ok := cat.Lookup(key)
	if !ok {
		return false
	}
	for _, perm := range d.Permissions {
		if !own[perm] {
			return false
		}
	}
	return true
}

// Grants lists the roles a user holds: directly, through its organization
// and through its teams, for role.Catalogue.Effective and Explain.
func Grants(u *user.User) []role.Grant {
	var out []role.Grant
	for _, r := range u.Roles() {
		out = append(out, role.Grant{Kind: role.Direct, Role: r})
	}
	if u.OrgID() != "" && u.OrgRole() != "" {
		out = append(out, role.Grant{Kind: role.OrgRole, Role: u.OrgRole(), Scope: u.OrgID()})
	}
	for _, m := range u.Teams() {
		if m.Role != "" {
			out = append(out, role.Grant{Kind: role.TeamRole, Role: m.Role, Scope: m.TeamID.String()})
		}
	}
	return out
}

// OrgLoader loads an organization from the write side.
type OrgLoader interface {
	Load(ctx context.Context, id string) (*org.Org, int64, error)
}

// liveGrants is Grants without the memberships of teams deleted since the
// user joined them: deleting a team ends what it granted, at once, while
// the memberships themselves stay in the users' histories.
func liveGrants(ctx context.Context, orgs OrgLoader, u *user.User) ([]role.Grant, error) {
	grants := Grants(u)
	if len(u.Teams()) == 0 || u.OrgID() == "" {
		return grants, nil
	}
	o, _, err := orgs.Load(ctx, u.OrgID())
	if err != nil {
		return nil, fmt.Errorf("load organization %s: %w", u.OrgID(), err)
	}
	return slices.DeleteFunc(grants, func(g role.Grant) bool {
		if g.Kind != role.TeamRole {
			return false
		}
		id, err := uuid.Parse(g.Scope)
		if err != nil {
			return true
		}
		_, live := o.Team(id)
		return !live
	}), nil
}

// newPrincipal derives the principal of an active user from its grants.
func newPrincipal(u *user.User, grants []role.Grant, cat role.Catalogue) *Principal {
	p := &Principal{
		UserID:    u.ID(),
		Global:    u.HasRole(role.SystemAdmin),
		OrgID:     u.OrgID(),
		Effective: cat.Effective(grants),
		perms:     map[role.Permission]bool{},
		grants:    grants,
	}
	for _, e := range p.Effective {
		p.perms[e.Permission] = true
	}
	return p
}

type principalKey struct{}

// principalFrom returns the request's principal; the authenticate
// middleware guarantees one on every route that needs it.
func principalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// UserLoader loads a user from the write side (the event store), so that
// authorization never rests on an eventually consistent read.
type UserLoader interface {
	Load(ctx context.Context, id uuid.UUID) (*user.User, int64, error)
	// Revision is the revision Load would answer, read without decoding
	// the stream.
	Revision(ctx context.Context, id uuid.UUID) (int64, error)
}

// CatalogueSource gives the current role catalogue.
type CatalogueSource interface {
	Catalogue(ctx context.Context) (role.Catalogue, error)
}

// guard answers 403 unless the principal holds perm.
func guard(perm role.Permission, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := principalFrom(r.Context()); p == nil || !p.Can(perm) {
			writeProblem(w, r, problem{Type: "forbidden", Status: http.StatusForbidden,
				Detail: fmt.Sprintf("this needs the permission %q", perm)})
			return
		}
		next(w, r)
	})
}

// guardGlobal answers 403 unless the principal is a System Admin: actions
// that reach beyond one organization (creating organizations, custom
// roles, platform settings).
func guardGlobal(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := principalFrom(r.Context()); p == nil || !p.Global {
			writeProblem(w, r, problem{Type: "forbidden", Status: http.StatusForbidden,
				Detail: "this needs the System Admin role"})
			return
		}
		next(w, r)
	})
}

// errHidden is what a caller learns about a user outside its organization:
// the same as for a user that does not exist.
func errHidden(id uuid.UUID) error {
	return fmt.Errorf("%w: no user with id %s", domain.ErrNotFound, id)
}

// checkGrants refuses role keys the principal, holding own, may not hand
// out.
func checkGrants(p *Principal, own map[role.Permission]bool, cat role.Catalogue, field string, keys ...string) error {
	var bad []domain.FieldError
	for _, k := range keys {
		if k != "" && !p.canGrant(own, cat, k) {
			bad = append(bad, domain.FieldError{Field: field, Code: "not_grantable",
				Message: fmt.Sprintf("you may not grant %q: it gives permissions you do not hold", k)})
		}
	}
	if bad == nil {
		return nil
	}
	return &forbiddenError{fields: bad}
}

// forbiddenError is a 403 with field details.
type forbiddenError struct{ fields []domain.FieldError }

func (e *forbiddenError) Error() string {
	msgs := make([]string, len(e.fields))
	for i, f := range e.fields {
		msgs[i] = f.Message
	}
	slices.Sort(msgs)
	return "forbidden: " + strings.Join(msgs, "; ")
}

func (e *forbiddenError) Unwrap() error { return domain.ErrForbidden }
