package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/readmodels/loginhistory"
)

// AuthCommands are the login and lockout operations.
type AuthCommands interface {
	Authenticator
	CompleteSecondFactor(ctx context.Context, md commands.Metadata, userID uuid.UUID, passed bool, c auth.ClientInfo) (commands.LoginResult, error)
	ClearLockout(ctx context.Context, md commands.Metadata, userID uuid.UUID) (commands.Result, error)
	LockoutPolicy(ctx context.Context) (auth.Policy, int64, error)
	SetLockoutPolicy(ctx context.Context, md commands.Metadata, ifMatch *uint64, p auth.Policy) (commands.Result, error)
	LockState(ctx context.Context, userID uuid.UUID) (commands.LockState, error)
}

// LoginHistory reads a user's login attempts, newest first.
type LoginHistory interface {
	List(ctx context.Context, userID uuid.UUID, cursor string, limit int) (loginhistory.Page, error)
}

type loginEntry struct {
	At        time.Time `json:"at"`
	Success   bool      `json:"success"`
	Reason    string    `json:"reason,omitempty"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Device    string    `json:"device"`
	Browser   string    `json:"browser"`
	OS        string    `json:"os"`
}

type loginHistoryPage struct {
	Items      []loginEntry `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

// userID reads the {id} path variable.
// parseID reads an ID in the one form the API writes, 36 characters with
// hyphens (either case of hex digit): uuid.Parse would also take braces,
// a "urn:uuid:" prefix and 32 bare digits, which the API never gives out.
func parseID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.Nil, fmt.Errorf("%q is not a UUID in its 36-character form", s)
	}
	return uuid.Parse(s)
}

func userID(r *http.Request) (uuid.UUID, error) {
	id, err := parseID(mux.Vars(r)["id"])
	if err != nil {
		return uuid.Nil, badParam("id", "must be a UUID")
	}
	return id, nil
}

// readableTarget is visibleTarget for queries: a user outside the
// principal's organization, or none at all, is 404.
func (a usersAPI) readableTarget(r *http.Request) (*user.User, error) {
	id, err := userID(r)
	if err != nil {
		return nil, err
	}
	u, _, err := a.deps.UserLoader.Load(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !u.Exists() || !principalFrom(r.Context()).Sees(u.OrgID()) {
		return nil, errHidden(id)
	}
	return u, nil
}

func (a usersAPI) loginHistory(w http.ResponseWriter, r *http.Request) {
	for name := range r.URL.Query() {
		if name != "cursor" && name != "limit" {
			a.fail(w, r, badParam(name, "is not a parameter of the login history (use cursor, limit)"))
			return
		}
	}
	u, err := a.readableTarget(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			a.fail(w, r, badParam("limit", "must be a whole number in 1..200"))
			return
		}
	}
	page, err := a.deps.LoginHistory.List(r.Context(), u.ID(), r.URL.Query().Get("cursor"), limit)
	if errors.Is(err, loginhistory.ErrInvalidCursor) {
		a.fail(w, r, badParam("cursor", "is not a cursor of this history"))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := loginHistoryPage{Items: make([]loginEntry, 0, len(page.Entries))}
	for _, e := range page.Entries {
		out.Items = append(out.Items, loginEntry{At: e.At.UTC(), Success: e.Success, Reason: e.Reason, IP: e.IP,
			UserAgent: e.UserAgent, Device: e.Device, Browser: e.Browser, OS: e.OS})
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
}

type lockStateResponse struct {
	Locked         bool       `json:"locked"`
	Until          *time.Time `json:"until"`
	Permanent      bool       `json:"permanent"`
	RecentFailures int        `json:"recent_failures"`
}

func (a usersAPI) lockout(w http.ResponseWriter, r *http.Request) {
	u, err := a.readableTarget(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, err := a.deps.Auth.LockState(r.Context(), u.ID())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := lockStateResponse{Locked: st.Locked, Permanent: st.Permanent, RecentFailures: st.RecentFailures}
	if st.Locked && !st.Until.IsZero() {
		t := st.Until.UTC()
		out.Until = &t
	}
	writeJSON(w, http.StatusOK, out)
}

func (a usersAPI) clearLockout(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := readOptionalJSON(r, &struct{}{}); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, err := a.visibleTarget(r, id); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Auth.ClearLockout(r.Context(), metadata(r), id)
	a.answer(w, r, id, res, err)
}

type permissionsResponse struct {
	UserID      string           `json:"user_id"`
	SystemAdmin bool             `json:"system_admin"`
	OrgID       string           `json:"organization_id"`
	Grants      []role.Grant     `json:"grants"`
	Permissions []role.Effective `json:"permissions"`
}

// grantsOf reads the addressed user, its live grants and the catalogue
// that resolves them.
func (a usersAPI) grantsOf(r *http.Request) (*user.User, []role.Grant, role.Catalogue, error) {
	u, err := a.readableTarget(r)
	if err != nil {
		return nil, nil, role.Catalogue{}, err
	}
	cat, err := a.deps.Catalogue.Catalogue(r.Context())
	if err != nil {
		return nil, nil, role.Catalogue{}, err
	}
	grants, err := liveGrants(r.Context(), a.deps.OrgLoader, u)
	if grants == nil {
		grants = []role.Grant{}
	}
	return u, grants, cat, err
}

func (a usersAPI) permissions(w http.ResponseWriter, r *http.Request) {
	u, grants, cat, err := a.grantsOf(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, permissionsResponse{
		UserID: u.ID().String(), SystemAdmin: u.HasRole(role.SystemAdmin), OrgID: u.OrgID(),
		Grants: grants, Permissions: cat.Effective(grants),
	})
}

// check is one line of the Missing Permissions checklist.
type check struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type explainResponse struct {
	role.Explanation
	OrgID  string  `json:"organization_id,omitempty"`
	Checks []check `json:"checks"`
}

// explain answers the seed's "Missing Permissions" checklist: role
// assignments, organization membership, team membership and permission
// inheritance, for one permission, optionally within one organization.
func (a usersAPI) explain(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for name := range q {
		if name != "permission" && name != "org" {
			a.fail(w, r, badParam(name, "is not a parameter of explain (use permission, org)"))
			return
		}
	}
	perm := role.Permission(q.Get("permission"))
	if perm == "" {
		a.fail(w, r, badRequest("validation-error", "permission is required",
			domain.FieldError{Field: "permission", Code: domain.CodeRequired, Message: "name the permission to explain, e.g. users:write"}))
		return
	}
	u, grants, cat, err := a.grantsOf(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ex := cat.Explain(perm, grants)
	org := q.Get("org")
	out := explainResponse{Explanation: ex, OrgID: org}
	global := u.HasRole(role.SystemAdmin)
	var direct, viaOrg, viaTeam int
	for _, g := range ex.Sources {
		switch g.Kind {
		case role.Direct:
			direct++
		case role.OrgRole:
			viaOrg++
		case role.TeamRole:
			viaTeam++
		}
	}
	out.Checks = []check{
		{Check: "known_permission", OK: ex.Known, Detail: knownDetail(ex)},
		{Check: "role_assignments", OK: direct > 0, Detail: fmt.Sprintf("%d of the user's own roles %v grant it", direct, u.Roles())},
		{Check: "organization_membership", OK: viaOrg > 0, Detail: orgDetail(u)},
		{Check: "team_membership", OK: viaTeam > 0, Detail: fmt.Sprintf("member of %d teams; %d of their roles grant it", len(u.Teams()), viaTeam)},
		{Check: "permission_inheritance", OK: ex.Held, Detail: inheritanceDetail(ex)},
	}
	if org != "" {
		inScope := global || org == u.OrgID()
		out.Checks = append(out.Checks, check{Check: "organization_scope", OK: inScope, Detail: scopeDetail(u, org, global)})
		out.Held = out.Held && inScope
	}
	writeJSON(w, http.StatusOK, out)
}

func knownDetail(ex role.Explanation) string {
	if ex.Known {
		return "a permission the service knows"
	}
	return "no role can grant it: the service does not know this permission"
}

func orgDetail(u *user.User) string {
	if u.OrgID() == "" {
		return "the user belongs to no organization"
	}
	if u.OrgRole() == "" {
		return fmt.Sprintf("member of %s without an organization role", u.OrgID())
	}
	return fmt.Sprintf("member of %s with the organization role %q", u.OrgID(), u.OrgRole())
}

func inheritanceDetail(ex role.Explanation) string {
	switch {
	case ex.Held:
		return fmt.Sprintf("held through %d grants (built-in roles include the permissions of the roles they extend)", len(ex.Sources))
	case len(ex.GrantedBy) > 0:
		return fmt.Sprintf("not held; these roles would grant it: %v", ex.GrantedBy)
	default:
		return "not held, and no role grants it"
	}
}

func scopeDetail(u *user.User, org string, global bool) string {
	switch {
	case global:
		return "a System Admin's permissions apply in every organization"
	case org == u.OrgID():
		return "the permissions apply in the user's own organization"
	default:
		return fmt.Sprintf("outside System Admin, permissions apply only in the user's own organization (%q), not in %q", u.OrgID(), org)
	}
}
