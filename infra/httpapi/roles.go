package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/readmodels/roles"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// RoleCommands define and change custom roles.
type RoleCommands interface {
	Create(ctx context.Context, md commands.Metadata, key, name, description string, perms []role.Permission) (commands.RoleResult, error)
	Rename(ctx context.Context, md commands.Metadata, key string, ifMatch *uint64, name string) (commands.RoleResult, error)
	Describe(ctx context.Context, md commands.Metadata, key string, ifMatch *uint64, description string) (commands.RoleResult, error)
	ChangePermissions(ctx context.Context, md commands.Metadata, key string, ifMatch *uint64, perms []role.Permission) (commands.RoleResult, error)
	Delete(ctx context.Context, md commands.Metadata, key string, ifMatch *uint64) (commands.RoleResult, error)
}

// RoleQueries read the role catalogue.
type RoleQueries interface {
	CatalogueSource
	Get(ctx context.Context, key string) (roles.Role, error)
	List(ctx context.Context, includeDeleted bool) ([]roles.Role, error)
}

type roleBody struct {
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Permissions []role.Permission `json:"permissions"`
	BuiltIn     bool              `json:"built_in"`
	Deleted     bool              `json:"deleted"`
	CreatedAt   *time.Time        `json:"created_at"`
	UpdatedAt   *time.Time        `json:"updated_at"`
	Revision    int64             `json:"revision"`
}

type createRoleRequest struct {
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Permissions []role.Permission `json:"permissions"`
}

type editRoleRequest struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Permissions *[]role.Permission `json:"permissions"`
}

type roleResult struct {
	Key      string `json:"key"`
	Revision uint64 `json:"revision"`
	Position string `json:"position,omitempty"`
	Changed  bool   `json:"changed"`
}

type rolesAPI struct{ deps Deps }

func toRoleBody(r roles.Role) roleBody {
	b := roleBody{Key: r.Key, Name: r.Name, Description: r.Description, Permissions: r.Permissions,
		BuiltIn: r.BuiltIn, Deleted: r.Deleted, Revision: r.Revision}
	if b.Permissions == nil {
		b.Permissions = []role.Permission{}
	}
	if !r.Created.IsZero() {
		t := r.Created.UTC()
		b.CreatedAt = &t
	}
	if !r.Updated.IsZero() {
		t := r.Updated.UTC()
		b.UpdatedAt = &t
	}
	return b
}

func (a rolesAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	respondError(a.deps.Logger, w, r, err)
}

func (a rolesAPI) list(w http.ResponseWriter, r *http.Request) {
	includeDeleted := false
	for name, v := range r.URL.Query() {
		if name != "include_deleted" || len(v) != 1 || (v[0] != "true" && v[0] != "false") {
			a.fail(w, r, badParam(name, "is not a parameter of the role list (use include_deleted=true|false)"))
			return
		}
		includeDeleted = v[0] == "true"
	}
	list, err := a.deps.RoleQueries.List(r.Context(), includeDeleted)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items []roleBody `json:"items"`
	}{Items: make([]roleBody, 0, len(list))}
	for _, ro := range list {
		out.Items = append(out.Items, toRoleBody(ro))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a rolesAPI) get(w http.ResponseWriter, r *http.Request) {
	ro, err := a.deps.RoleQueries.Get(r.Context(), mux.Vars(r)["key"])
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(uint64(max(ro.Revision, 0))))
	writeJSON(w, http.StatusOK, toRoleBody(ro))
}

func (a rolesAPI) create(w http.ResponseWriter, r *http.Request) {
	var req createRoleRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Roles.Create(r.Context(), metadata(r), req.Key, req.Name, req.Description, req.Permissions)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/roles/"+res.Key)
	writeRoleResult(w, http.StatusCreated, res)
}

// edit applies name, description and permission changes in that order;
// If-Match pins the revision of the first change only.
func (a rolesAPI) edit(w http.ResponseWriter, r *http.Request) {
	key := mux.Vars(r)["key"]
	ifMatch, err := ifMatchRevision(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req editRoleRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	var res commands.RoleResult
	md := metadata(r)
	steps := []func(*uint64) (commands.RoleResult, error){}
	if req.Name != nil {
		steps = append(steps, func(m *uint64) (commands.RoleResult, error) {
			return a.deps.Roles.Rename(r.Context(), md, key, m, *req.Name)
		})
	}
	if req.Description != nil {
		steps = append(steps, func(m *uint64) (commands.RoleResult, error) {
			return a.deps.Roles.Describe(r.Context(), md, key, m, *req.Description)
		})
	}
	if req.Permissions != nil {
		steps = append(steps, func(m *uint64) (commands.RoleResult, error) {
			return a.deps.Roles.ChangePermissions(r.Context(), md, key, m, *req.Permissions)
		})
	}
	if len(steps) == 0 {
		a.fail(w, r, badRequest("validation-error", "name nothing to change: give name, description or permissions"))
		return
	}
	changed := false
	for i, step := range steps {
		m := ifMatch
		if i > 0 {
			m = nil
		}
		res, err = step(m)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		changed = changed || res.Appended
	}
	res.Appended = changed
	writeRoleResult(w, http.StatusOK, res)
}

func (a rolesAPI) delete(w http.ResponseWriter, r *http.Request) {
	ifMatch, err := ifMatchRevision(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Roles.Delete(r.Context(), metadata(r), mux.Vars(r)["key"], ifMatch)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeRoleResult(w, http.StatusOK, res)
}

type roleCount struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Users int64  `json:"users"`
}

// distribution counts the users (not deleted) holding each role directly,
// within the caller's organization unless it is a System Admin.
func (a rolesAPI) distribution(w http.ResponseWriter, r *http.Request) {
	list, err := a.deps.RoleQueries.List(r.Context(), false)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	out := struct {
		Items []roleCount `json:"items"`
	}{Items: make([]roleCount, 0, len(list))}
	for _, ro := range list {
		q := users.Query{Roles: []string{ro.Key}, Statuses: []string{"active", "suspended"}, Limit: 1}
		if !p.Global {
			if p.OrgID == "" {
				out.Items = append(out.Items, roleCount{Key: ro.Key, Name: ro.Name})
				continue
			}
			q.Orgs = []string{p.OrgID}
		}
		page, err := a.deps.Queries.Search(r.Context(), q)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out.Items = append(out.Items, roleCount{Key: ro.Key, Name: ro.Name, Users: page.Total})
	}
	writeJSON(w, http.StatusOK, out)
}

func writeRoleResult(w http.ResponseWriter, status int, res commands.RoleResult) {
	body := roleResult{Key: res.Key, Revision: res.Revision, Changed: res.Appended}
	if res.Appended {
		body.Position = formatPosition(res.Result)
		w.Header().Set("X-Event-Position", body.Position)
	}
	w.Header().Set("ETag", etag(res.Revision))
	writeJSON(w, status, body)
}

// ifMatchRevision reads an optional If-Match revision.
func ifMatchRevision(r *http.Request) (*uint64, error) {
	if lines := r.Header.Values("If-Match"); len(lines) > 1 {
		return nil, badRequest("invalid-header", fmt.Sprintf("If-Match is given %d times: send one ETag (or *)", len(lines)))
	}
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	switch {
	case v == "" || v == "*":
		// "*" matches any current representation; a command on a user
		// that does not exist fails anyway.
		return nil, nil
	case strings.HasPrefix(v, "W/"):
		// RFC 9110 13.1.1: If-Match compares strongly.
		return nil, &httpError{problem{Type: "precondition-failed", Status: http.StatusPreconditionFailed,
			Detail: "If-Match " + strconv.Quote(v) + ": a weak ETag never matches; send the ETag as given, e.g. \"3\""}}
	}
	// An ETag is a quoted revision exactly as the API writes it: no
	// missing quotes, no leading zeros, one ETag rather than a list.
	digits, quoted := strings.CutPrefix(v, `"`)
	digits, closed := strings.CutSuffix(digits, `"`)
	rev, err := strconv.ParseUint(digits, 10, 64)
	if !quoted || !closed || err != nil || strconv.FormatUint(rev, 10) != digits {
		return nil, badRequest("invalid-header", "If-Match "+strconv.Quote(v)+`: want one ETag as the API gives it, e.g. "3" (with the quotes), or *`)
	}
	return &rev, nil
}
