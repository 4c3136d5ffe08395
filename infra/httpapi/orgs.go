package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/readmodels/orgs"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// OrgCommands manage organizations and their teams.
type OrgCommands interface {
	Create(ctx context.Context, md commands.Metadata, id, name string) (commands.OrgResult, error)
	Rename(ctx context.Context, md commands.Metadata, id string, ifMatch *uint64, name string) (commands.OrgResult, error)
	Archive(ctx context.Context, md commands.Metadata, id string, ifMatch *uint64) (commands.OrgResult, error)
	CreateTeam(ctx context.Context, md commands.Metadata, orgID, name string) (commands.TeamResult, error)
	RenameTeam(ctx context.Context, md commands.Metadata, orgID string, teamID uuid.UUID, name string) (commands.TeamResult, error)
	DeleteTeam(ctx context.Context, md commands.Metadata, orgID string, teamID uuid.UUID) (commands.TeamResult, error)
}

// OrgQueries read organizations.
type OrgQueries interface {
	Get(ctx context.Context, id string) (orgs.Org, error)
	List(ctx context.Context, q orgs.ListQuery) (orgs.ListPage, error)
}

type orgsAPI struct{ deps Deps }

type teamBody struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Members   int64     `json:"members"`
}

type orgBody struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Archived  bool       `json:"archived"`
	CreatedAt time.Time  `json:"created_at"`
	Revision  int64      `json:"revision"`
	Teams     []teamBody `json:"teams"`
	Members   *int64     `json:"members,omitempty"`
}

type orgRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type renameRequest struct {
	Name string `json:"name"`
}

type orgResult struct {
	ID       string `json:"id"`
	TeamID   string `json:"team_id,omitempty"`
	Revision uint64 `json:"revision"`
	Position string `json:"position,omitempty"`
	Changed  bool   `json:"changed"`
}

func toOrgBody(o orgs.Org) orgBody {
	b := orgBody{ID: o.ID, Name: o.Name, Archived: o.Archived, CreatedAt: o.Created.UTC(), Revision: o.Revision, Teams: []teamBody{}}
	for _, t := range o.Teams {
		b.Teams = append(b.Teams, teamBody{ID: t.ID.String(), Name: t.Name, CreatedAt: t.Created.UTC()})
	}
	return b
}

func (a orgsAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	respondError(a.deps.Logger, w, r, err)
}

// visibleOrg reads the {org} path variable and hides organizations other
// than the principal's own (404) unless it is a System Admin.
func (a orgsAPI) visibleOrg(r *http.Request) (string, error) {
	id := mux.Vars(r)["org"]
	if !principalFrom(r.Context()).Sees(id) {
		return "", fmt.Errorf("%w: no organization with id %q", domain.ErrNotFound, id)
	}
	return id, nil
}

func (a orgsAPI) list(w http.ResponseWriter, r *http.Request) {
	q := orgs.ListQuery{}
	for name, v := range r.URL.Query() {
		switch {
		case name == "cursor" && len(v) == 1:
			q.Cursor = v[0]
		case name == "limit" && len(v) == 1:
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > 200 {
				a.fail(w, r, badParam("limit", "must be a whole number in 1..200"))
				return
			}
			q.Limit = n
		case name == "include_archived" && len(v) == 1 && (v[0] == "true" || v[0] == "false"):
			q.IncludeArchived = v[0] == "true"
		default:
			a.fail(w, r, badParam(name, "is not a parameter of the organization list (use cursor, limit, include_archived=true|false)"))
			return
		}
	}
	out := struct {
		Items      []orgBody `json:"items"`
		Total      int       `json:"total"`
		NextCursor *string   `json:"next_cursor"`
	}{Items: []orgBody{}}
	p := principalFrom(r.Context())
	if !p.Global {
		// An org admin's list is its own organization.
		if p.OrgID != "" && q.Cursor == "" {
			o, err := a.deps.OrgQueries.Get(r.Context(), p.OrgID)
			if err == nil && (!o.Archived || q.IncludeArchived) {
				out.Items, out.Total = append(out.Items, toOrgBody(o)), 1
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	page, err := a.deps.OrgQueries.List(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	for _, o := range page.Orgs {
		out.Items = append(out.Items, toOrgBody(o))
	}
	out.Total = page.Total
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
}

func (a orgsAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := a.visibleOrg(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	o, err := a.deps.OrgQueries.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	body := toOrgBody(o)
	// Member counts come from the user list: active and suspended users.
	count := func(q users.Query) (int64, error) {
		q.Statuses, q.Limit = []string{"active", "suspended"}, 1
		page, err := a.deps.Queries.Search(r.Context(), q)
		return page.Total, err
	}
	n, err := count(users.Query{Orgs: []string{id}})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	body.Members = &n
	for i, t := range body.Teams {
		if body.Teams[i].Members, err = count(users.Query{Orgs: []string{id}, Teams: []string{t.ID}}); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	w.Header().Set("ETag", etag(uint64(max(o.Revision, 0))))
	writeJSON(w, http.StatusOK, body)
}

func (a orgsAPI) create(w http.ResponseWriter, r *http.Request) {
	var req orgRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Orgs.Create(r.Context(), metadata(r), req.ID, req.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/orgs/"+res.ID)
	writeOrgResult(w, http.StatusCreated, res.ID, uuid.Nil, res.Result)
}

func (a orgsAPI) rename(w http.ResponseWriter, r *http.Request) {
	id, err := a.visibleOrg(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ifMatch, err := ifMatchRevision(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req renameRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Orgs.Rename(r.Context(), metadata(r), id, ifMatch, req.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeOrgResult(w, http.StatusOK, id, uuid.Nil, res.Result)
}

func (a orgsAPI) archive(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["org"]
	ifMatch, err := ifMatchRevision(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := readOptionalJSON(r, &struct{}{}); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Orgs.Archive(r.Context(), metadata(r), id, ifMatch)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeOrgResult(w, http.StatusOK, id, uuid.Nil, res.Result)
}

func (a orgsAPI) createTeam(w http.ResponseWriter, r *http.Request) {
	id, err := a.visibleOrg(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req renameRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Orgs.CreateTeam(r.Context(), metadata(r), id, req.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/orgs/"+id+"/teams/"+res.TeamID.String())
	writeOrgResult(w, http.StatusCreated, id, res.TeamID, res.Result)
}

func (a orgsAPI) teamTarget(r *http.Request) (string, uuid.UUID, error) {
	id, err := a.visibleOrg(r)
	if err != nil {
		return "", uuid.Nil, err
	}
	teamID, err := parseID(mux.Vars(r)["team"])
	if err != nil {
		return "", uuid.Nil, badParam("team", "must be a UUID")
	}
	return id, teamID, nil
}

func (a orgsAPI) renameTeam(w http.ResponseWriter, r *http.Request) {
	id, teamID, err := a.teamTarget(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req renameRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Orgs.RenameTeam(r.Context(), metadata(r), id, teamID, req.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeOrgResult(w, http.StatusOK, id, teamID, res.Result)
}

func (a orgsAPI) deleteTeam(w http.ResponseWriter, r *http.Request) {
	id, teamID, err := a.teamTarget(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Orgs.DeleteTeam(r.Context(), metadata(r), id, teamID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeOrgResult(w, http.StatusOK, id, teamID, res.Result)
}

func writeOrgResult(w http.ResponseWriter, status int, id string, teamID uuid.UUID, res commands.Result) {
	body := orgResult{ID: id, Revision: res.Revision, Changed: res.Appended}
	if teamID != uuid.Nil {
		body.TeamID = teamID.String()
	}
	if res.Appended {
		body.Position = formatPosition(res)
		w.Header().Set("X-Event-Position", body.Position)
	}
	w.Header().Set("ETag", etag(res.Revision))
	writeJSON(w, status, body)
}
