package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// UserQueries are the read-side operations the users API calls.
type UserQueries interface {
	Get(ctx context.Context, id uuid.UUID) (users.Doc, error)
	Search(ctx context.Context, q users.Query) (users.Page, error)
}

// PositionWaiter waits until a read model has applied a global position.
type PositionWaiter interface {
	WaitFor(ctx context.Context, projector string, pos eventstore.Position, timeout time.Duration) error
}

// searchParams are the query parameters the user list accepts; any other
// is an error, so a misspelt filter never silently returns everything.
var searchParams = map[string]bool{"q": true, "role": true, "org": true, "team": true, "status": true, "lock": true, "two_factor": true, "invitation": true, "sort": true, "limit": true, "cursor": true, "min_position": true}

// userSummary is a user as the list shows it.
type userSummary struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	FirstName   string     `json:"first_name"`
	LastName    string     `json:"last_name"`
	Roles       []string   `json:"roles"`
	OrgID       string     `json:"organization_id"`
	OrgRole     string     `json:"org_role"`
	Teams       []teamRef  `json:"teams"`
	Status      string     `json:"status"`
	Locked      bool       `json:"locked"`
	LockedUntil *time.Time `json:"locked_until"`
	TwoFactor   bool       `json:"two_factor_enabled"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
	Revision    int64      `json:"revision"`
	// Invitation is the state of the user's invitation; null for users
	// who were never invited.
	Invitation *invitationInfo `json:"invitation"`
}

// invitationInfo is an invitation as lists and details show it. State is
// "pending", "expired" (pending, but its link ran out), "revoked" or
// "accepted".
type invitationInfo struct {
	State     string     `json:"state"`
	SentAt    *time.Time `json:"sent_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type teamRef struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// userDetails is a user as its profile page shows it.
type userDetails struct {
	userSummary
	Anonymized bool         `json:"anonymized"`
	Notes      []noteDetail `json:"notes"`
	// Source is "registration" for a self-registered user, else "admin";
	// Attributes are the additional fields its sign-up collected.
	Source     string            `json:"source"`
	Attributes map[string]string `json:"attributes"`
}

type noteDetail struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	AuthorID  string    `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
}

type userPage struct {
	Items      []userSummary `json:"items"`
	Total      int64         `json:"total"`
	NextCursor *string       `json:"next_cursor"`
}

func summary(d users.Doc) userSummary {
	s := userSummary{
		ID: d.ID.String(), Email: d.Email, FirstName: d.FirstName, LastName: d.LastName,
		Roles: d.Roles, OrgID: d.Org, Status: d.Status, CreatedAt: d.Created.UTC(), Revision: d.Revision,
	}
	if s.Roles == nil {
		s.Roles = []string{}
	}
	if anonymized(d) {
		// The person's data is gone; list and details show the same
		// placeholders.
		s.FirstName, s.LastName = "Deleted", "user"
	}
	s.OrgRole = d.OrgRole
	s.TwoFactor = d.TwoFactor
	s.Teams = make([]teamRef, len(d.Teams))
	for i, t := range d.Teams {
		s.Teams[i] = teamRef{ID: t.ID, Role: t.Role}
	}
	if d.LockedAt(time.Now()) {
		s.Locked = true
		if !d.LockedUntil.IsZero() {
			t := d.LockedUntil.UTC()
			s.LockedUntil = &t
		}
	}
	if !d.LastLogin.IsZero() {
		t := d.LastLogin.UTC()
		s.LastLoginAt = &t
	}
	s.Invitation = invitation(d, time.Now())
	return s
}

// anonymized reports a user deleted with its personal data.
func anonymized(d users.Doc) bool { return d.Deleted && d.Email == "" }

func invitation(d users.Doc, now time.Time) *invitationInfo {
	if d.Invitation == "" {
		return nil
	}
	info := &invitationInfo{State: d.Invitation}
	if !d.InvitationSentAt.IsZero() {
		t := d.InvitationSentAt.UTC()
		info.SentAt = &t
	}
	if !d.InvitationExpiresAt.IsZero() {
		t := d.InvitationExpiresAt.UTC()
		info.ExpiresAt = &t
		if d.Invitation == users.InvitationPending && !now.Before(t) {
			info.State = "expired"
		}
	}
	return info
}

func (a usersAPI) get(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(mux.Vars(r)["id"])
	if err != nil {
		a.fail(w, r, badParam("id", "must be a UUID"))
		return
	}
	if err := a.awaitPosition(r, r.URL.Query()); err != nil {
		a.fail(w, r, err)
		return
	}
	d, err := a.deps.Queries.Get(r.Context(), id)
	if err == nil && !principalFrom(r.Context()).Sees(d.Org) {
		err = users.ErrNotFound
	}
	if errors.Is(err, users.ErrNotFound) {
		a.fail(w, r, fmt.Errorf("%w: no user with id %s", domain.ErrNotFound, id))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := userDetails{userSummary: summary(d), Notes: []noteDetail{}, Source: "admin", Attributes: d.Attributes}
	if d.Source != "" {
		out.Source = d.Source
	}
	if out.Attributes == nil {
		out.Attributes = map[string]string{}
	}
	out.Anonymized = anonymized(d)
	for _, n := range d.Notes {
		out.Notes = append(out.Notes, noteDetail{ID: n.ID.String(), Text: n.Text, AuthorID: n.Author, CreatedAt: n.At.UTC()})
	}
	w.Header().Set("ETag", etag(uint64(d.Revision)))
	writeJSON(w, http.StatusOK, out)
}

func (a usersAPI) search(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	for name := range params {
		if !searchParams[name] {
			a.fail(w, r, badParam(name, "is not a parameter of the user list (use q, role, org, team, status, lock, two_factor, invitation, sort, limit, cursor, min_position)"))
			return
		}
	}
	q, err := users.ParseQuery(params)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.knownRoles(r, q.Roles); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := checkStatusesAndTeams(&q); err != nil {
		a.fail(w, r, err)
		return
	}
	if len(q.Statuses) == 0 {
		// Deleted users are hidden unless asked for with status=deleted.
		q.Statuses = slices.DeleteFunc(slices.Clone(userStatuses), func(s string) bool { return s == string(user.StatusDeleted) })
	}
	if err := a.awaitPosition(r, params); err != nil {
		a.fail(w, r, err)
		return
	}
	if p := principalFrom(r.Context()); !p.Global {
		// Scoped silently: another organization's users do not exist here.
		if p.OrgID == "" || (len(q.Orgs) > 0 && !slices.Contains(q.Orgs, p.OrgID)) {
			writeJSON(w, http.StatusOK, userPage{Items: []userSummary{}})
			return
		}
		q.Orgs = []string{p.OrgID}
	}
	page, err := a.deps.Queries.Search(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := userPage{Items: make([]userSummary, 0, len(page.Users)), Total: page.Total}
	for _, d := range page.Users {
		out.Items = append(out.Items, summary(d))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
}

// userStatuses are the values of the status filter.
var userStatuses = []string{string(user.StatusActive), string(user.StatusSuspended), string(user.StatusDeleted),
	string(user.StatusInvited), string(user.StatusUnverified)}

// checkStatusesAndTeams refuses a status no user can have and a team
// value that is not a team ID, so that a typo is an error rather than an
// empty list, and writes team IDs in the canonical form the index keeps.
func checkStatusesAndTeams(q *users.Query) error {
	for _, s := range q.Statuses {
		if !slices.Contains(userStatuses, s) {
			return badParam("status", fmt.Sprintf("has the unknown value %q (want one of %s)", s, strings.Join(userStatuses, ", ")))
		}
	}
	for i, t := range q.Teams {
		id, err := parseID(t)
		if err != nil {
			return badParam("team", fmt.Sprintf("value %q is not a team ID (a UUID)", t))
		}
		q.Teams[i] = id.String()
	}
	return nil
}

// knownRoles checks role filter values against the role catalogue (custom
// roles deleted since count: users may still hold them), so a misspelt
// role is an error rather than an empty list.
func (a usersAPI) knownRoles(r *http.Request, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	list, err := a.deps.RoleQueries.List(r.Context(), true)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(list))
	for _, ro := range list {
		known[ro.Key] = true
	}
	for _, k := range keys {
		if !known[k] {
			return badParam("role", fmt.Sprintf("names no role: %q (GET /v1/roles lists them)", k))
		}
	}
	return nil
}

// awaitPosition honours min_position: it waits, bounded, until the users
// read model has applied that position (read-your-writes).
func (a usersAPI) awaitPosition(r *http.Request, params url.Values) error {
	raw, ok := params["min_position"]
	if !ok {
		return nil
	}
	if len(raw) != 1 {
		return badParam("min_position", "given more than once")
	}
	pos, err := checkpoint.Parse(raw[0])
	if err != nil {
		return badParam("min_position", "must be a position as returned in X-Event-Position")
	}
	err = a.deps.Waiter.WaitFor(r.Context(), a.deps.UsersProjector, pos, a.deps.maxWait())
	if errors.Is(err, projections.ErrNotCaughtUp) {
		return &httpError{problem{Type: "not-caught-up", Status: http.StatusServiceUnavailable, Detail: "the read model has not reached min_position yet; retry shortly", retryAfter: 1}}
	}
	return err
}
