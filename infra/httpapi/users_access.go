package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
)

// MembershipCommands place users in organizations and teams.
type MembershipCommands interface {
	SetOrgRole(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, role string) (commands.Result, error)
	JoinTeam(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, teamID uuid.UUID, role string) (commands.Result, error)
	LeaveTeam(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, teamID uuid.UUID) (commands.Result, error)
	Transfer(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, orgID, orgRole string, handling user.TransferHandling) (commands.Result, error)
}

// visibleTarget loads the user a command addresses, from the event store,
// and hides it (404) from a principal outside its organization. A
// non-global principal may not act on a System Admin at all.
func (a usersAPI) visibleTarget(r *http.Request, id uuid.UUID) (*user.User, error) {
	u, _, err := a.deps.UserLoader.Load(r.Context(), id)
	if err != nil {
		return nil, err
	}
	p := principalFrom(r.Context())
	if !u.Exists() || !p.Sees(u.OrgID()) {
		return nil, errHidden(id)
	}
	if p.Global {
		return u, nil
	}
	if u.HasRole(role.SystemAdmin) {
		return nil, fmt.Errorf("%w: only a System Admin may change a System Admin", domain.ErrForbidden)
	}
	// Nobody changes a user who holds a permission the caller lacks (its
	// password, second factor, roles, status): that would be a way to
	// act with the other's permissions. The user's roles are read from
	// the event store: the role read model may not know yet what a role
	// created or changed a moment ago gives.
	grants, err := liveGrants(r.Context(), a.deps.OrgLoader, u)
	if err != nil {
		return nil, err
	}
	cat, _, err := a.rolesOf(r.Context(), slices.Concat(grantKeys(grants), grantKeys(p.grants))...)
	if err != nil {
		return nil, err
	}
	own := permissionSet(cat.Effective(p.grants))
	for _, e := range cat.Effective(grants) {
		if !own[e.Permission] {
			return nil, fmt.Errorf("%w: the user holds %q, which you do not; only someone who holds all of its permissions may change it",
				domain.ErrForbidden, e.Permission)
		}
	}
	return u, nil
}

// RoleLookup resolves role keys from the event store (commands.Roles
// does): built-in roles and live custom roles; (zero, false, nil) for a
// key that names no live role.
type RoleLookup interface {
	Lookup(ctx context.Context, key string) (role.Definition, bool, error)
}

// rolesOf returns a catalogue of the roles keys name, read from the event
// store like the commands read them (each key once), and the keys that
// name no live role.
// The escalation checks use it rather than the role read model, which
// lags: a role created or given more permissions a moment ago would pass
// a check against the read model and then be accepted by the command.
func (a usersAPI) rolesOf(ctx context.Context, keys ...string) (role.Catalogue, []string, error) {
	if a.deps.RoleLookup == nil {
		return role.Catalogue{}, nil, errors.New("httpapi: Deps.RoleLookup is not set: role grants cannot be checked")
	}
	var defs []role.Definition
	var unknown []string
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k == "" || role.IsBuiltIn(k) || seen[k] {
			continue
		}
		seen[k] = true
		d, ok, err := a.deps.RoleLookup.Lookup(ctx, k)
		if err != nil {
			return role.Catalogue{}, nil, fmt.Errorf("look up role %q: %w", k, err)
		}
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		defs = append(defs, d)
	}
	return role.NewCatalogue(defs...), unknown, nil
}

// checkGrants refuses role keys the principal may not hand out: grant are
// the keys being given, revoke those being taken away (a role that no
// longer exists may be taken away; one that does not exist yet may not be
// given).
func (a usersAPI) checkGrants(r *http.Request, field string, grant, revoke []string) error {
	p := principalFrom(r.Context())
	if p.Global {
		return nil
	}
	cat, unknown, err := a.rolesOf(r.Context(), slices.Concat(grant, revoke, grantKeys(p.grants))...)
	if err != nil {
		return err
	}
	var bad []domain.FieldError
	for _, k := range unknown {
		if slices.Contains(grant, k) {
			bad = append(bad, domain.FieldError{Field: field, Code: "unknown", Message: fmt.Sprintf("role %q does not exist", k)})
		}
	}
	if bad != nil {
		return &domain.ValidationError{Fields: bad}
	}
	var known []string
	for _, k := range slices.Concat(grant, revoke) {
		if !slices.Contains(unknown, k) {
			known = append(known, k)
		}
	}
	return checkGrants(p, permissionSet(cat.Effective(p.grants)), cat, field, known...)
}

// grantKeys lists the role keys of grants.
func grantKeys(grants []role.Grant) []string {
	keys := make([]string, len(grants))
	for i, g := range grants {
		keys[i] = g.Role
	}
	return keys
}

// permissionSet is the set of the permissions of effective.
func permissionSet(effective []role.Effective) map[role.Permission]bool {
	set := make(map[role.Permission]bool, len(effective))
	for _, e := range effective {
		set[e.Permission] = true
	}
	return set
}

// checkEdit applies the escalation rules to a user edit: only a System
// Admin moves users between organizations, and roles added or removed must
// all be roles the principal may grant.
func (a usersAPI) checkEdit(r *http.Request, u *user.User, req editUserRequest) error {
	p := principalFrom(r.Context())
	if p.Global {
		return nil
	}
	if req.OrganizationID != nil && *req.OrganizationID != u.OrgID() {
		return &forbiddenError{fields: []domain.FieldError{{Field: "organization_id", Code: "not_allowed",
			Message: "only a System Admin moves users between organizations"}}}
	}
	if req.Roles == nil {
		return nil
	}
	var added, removed []string
	held := u.Roles()
	for _, k := range *req.Roles {
		if !slices.Contains(held, k) {
			added = append(added, k)
		}
	}
	for _, k := range held {
		if !slices.Contains(*req.Roles, k) {
			removed = append(removed, k)
		}
	}
	return a.checkGrants(r, "roles", added, removed)
}

type orgRoleRequest struct {
	Role string `json:"role"`
}

type teamRequest struct {
	Role string `json:"role"`
}

type transferRequest struct {
	OrganizationID string `json:"organization_id"`
	OrgRole        string `json:"org_role"`
	Handling       string `json:"handling"`
}

func (a usersAPI) setOrgRole(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req orgRoleRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := a.visibleTarget(r, id)
	if err == nil {
		err = a.checkGrants(r, "role", []string{req.Role}, []string{u.OrgRole()})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Membership.SetOrgRole(r.Context(), metadata(r), id, ifMatch, req.Role)
	a.answer(w, r, id, res, err)
}

// teamTarget reads the user, the If-Match revision and the {team} of a
// team membership route, checks the user is the principal's to change, and
// gives the user's current role in that team ("" when not a member).
func (a usersAPI) teamTarget(r *http.Request) (id uuid.UUID, ifMatch *uint64, teamID uuid.UUID, current string, err error) {
	if id, ifMatch, err = target(r); err != nil {
		return
	}
	if teamID, err = parseID(mux.Vars(r)["team"]); err != nil {
		err = badParam("team", "must be a UUID")
		return
	}
	u, err := a.visibleTarget(r, id)
	if err == nil {
		if m, ok := u.Team(teamID); ok {
			current = m.Role
		}
	}
	return
}

func (a usersAPI) joinTeam(w http.ResponseWriter, r *http.Request) {
	var req teamRequest
	id, ifMatch, teamID, current, err := a.teamTarget(r)
	if err == nil {
		err = readOptionalJSON(r, &req)
	}
	if req.Role == "" {
		req.Role = user.DefaultTeamRole
	}
	if err == nil {
		// Both the role given and the one it replaces must be grantable.
		err = a.checkGrants(r, "role", []string{req.Role}, []string{current})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Membership.JoinTeam(r.Context(), metadata(r), id, ifMatch, teamID, req.Role)
	a.answer(w, r, id, res, err)
}

func (a usersAPI) leaveTeam(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, teamID, current, err := a.teamTarget(r)
	if err == nil {
		err = a.checkGrants(r, "role", nil, []string{current})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Membership.LeaveTeam(r.Context(), metadata(r), id, ifMatch, teamID)
	a.answer(w, r, id, res, err)
}

// transfer moves a user to another organization. It reaches across
// organizations, so it is for System Admins (the route's guard).
func (a usersAPI) transfer(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req transferRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	if req.OrganizationID == "" {
		a.fail(w, r, badRequest("validation-error", "organization_id is required: the organization to move the user to",
			domain.FieldError{Field: "organization_id", Code: domain.CodeRequired, Message: "name the organization to move the user to"}))
		return
	}
	handling := user.TransferHandling(req.Handling)
	switch handling {
	case "":
		handling = user.KeepRoles
	case user.KeepRoles, user.ResetRoles:
	default:
		a.fail(w, r, badRequest("validation-error", "handling must be keep_roles or reset_roles",
			domain.FieldError{Field: "handling", Code: domain.CodeInvalid, Message: fmt.Sprintf("%q is not keep_roles or reset_roles", req.Handling)}))
		return
	}
	res, err := a.deps.Membership.Transfer(r.Context(), metadata(r), id, ifMatch, req.OrganizationID, req.OrgRole, handling)
	a.answer(w, r, id, res, err)
}
