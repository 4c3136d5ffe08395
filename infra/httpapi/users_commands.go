package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
)

// UserCommands are the write-side operations the users API calls.
type UserCommands interface {
	Create(ctx context.Context, md commands.Metadata, cmd commands.CreateUser) (commands.Result, error)
	Edit(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, patch user.Patch) (commands.Result, error)
	Suspend(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, reason string) (commands.Result, error)
	Reactivate(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64) (commands.Result, error)
	Delete(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, handling user.DataHandling) (commands.Result, error)
	AddNote(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, text string) (commands.Result, error)
	ChangePassword(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, password string) (commands.Result, error)
	SetTemporaryPassword(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, password string) (commands.Result, error)
	ChangeOwnPassword(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64, current, password string) (commands.Result, error)
}

type createUserRequest struct {
	Email          string   `json:"email"`
	FirstName      string   `json:"first_name"`
	LastName       string   `json:"last_name"`
	Roles          []string `json:"roles"`
	OrganizationID string   `json:"organization_id"`
	OrgRole        string   `json:"org_role"`
	Password       string   `json:"password"`
	SendInvite     bool     `json:"send_invite"`
}

type editUserRequest struct {
	FirstName        *string   `json:"first_name"`
	LastName         *string   `json:"last_name"`
	Email            *string   `json:"email"`
	Roles            *[]string `json:"roles"`
	OrganizationID   *string   `json:"organization_id"`
	Status           *string   `json:"status"`
	SuspensionReason string    `json:"suspension_reason"`
}

type suspendRequest struct {
	Reason string `json:"reason"`
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	Password        string `json:"password"`
}

type resetPasswordRequest struct {
	Password string `json:"password"`
	// Temporary: the user must change it at the next login.
	Temporary bool `json:"temporary"`
}

type noteRequest struct {
	Text string `json:"text"`
}

// commandResponse is what every command answers.
type commandResponse struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	Revision uint64 `json:"revision"`
	// Position is the global position of the command's last event; pass it
	// as min_position to a query to read this write. Empty when the command
	// changed nothing.
	Position string `json:"position,omitempty"`
	Changed  bool   `json:"changed"`
}

type usersAPI struct {
	deps Deps
}

func (a usersAPI) create(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	if !p.Global {
		switch req.OrganizationID {
		case "":
			if p.OrgID == "" {
				a.fail(w, r, &forbiddenError{fields: []domain.FieldError{{Field: "organization_id", Code: "not_allowed",
					Message: "you belong to no organization, so you may not create users"}}})
				return
			}
			req.OrganizationID = p.OrgID
		case p.OrgID:
		default:
			a.fail(w, r, &forbiddenError{fields: []domain.FieldError{{Field: "organization_id", Code: "not_allowed",
				Message: "you may only create users in your own organization"}}})
			return
		}
	}
	if err := a.checkGrants(r, "roles", req.Roles, nil); err != nil {
		a.fail(w, r, err)
		return
	}
	// The default org role is granted like one named in the request.
	orgRole := req.OrgRole
	if orgRole == "" && strings.TrimSpace(req.OrganizationID) != "" {
		orgRole = user.DefaultOrgRole
	}
	if err := a.checkGrants(r, "org_role", []string{orgRole}, nil); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Users.Create(r.Context(), metadata(r), commands.CreateUser{
		Email: req.Email, FirstName: req.FirstName, LastName: req.LastName, Roles: req.Roles,
		OrgID: req.OrganizationID, OrgRole: req.OrgRole, Password: req.Password, SendInvite: req.SendInvite,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/users/"+res.ID.String())
	writeCommandResult(w, http.StatusCreated, res.ID, res)
}

func (a usersAPI) edit(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req editUserRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := a.visibleTarget(r, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.checkEdit(r, u, req); err != nil {
		a.fail(w, r, err)
		return
	}
	patch := user.Patch{
		FirstName: req.FirstName, LastName: req.LastName, Email: req.Email, Roles: req.Roles,
		OrgID: req.OrganizationID, SuspensionReason: req.SuspensionReason,
	}
	if req.Status != nil {
		s := user.Status(*req.Status)
		patch.Status = &s
	}
	res, err := a.deps.Users.Edit(r.Context(), metadata(r), id, ifMatch, patch)
	if err == nil && res.Appended && patch.Status != nil && *patch.Status == user.StatusSuspended {
		revokeSessions(r.Context(), a.deps, id)
	}
	a.answer(w, r, id, res, err)
}

func (a usersAPI) suspend(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req suspendRequest
	if err := readOptionalJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, err := a.visibleTarget(r, id); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Users.Suspend(r.Context(), metadata(r), id, ifMatch, req.Reason)
	if err == nil {
		revokeSessions(r.Context(), a.deps, id)
	}
	a.answer(w, r, id, res, err)
}

func (a usersAPI) reactivate(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
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
	res, err := a.deps.Users.Reactivate(r.Context(), metadata(r), id, ifMatch)
	a.answer(w, r, id, res, err)
}

func (a usersAPI) delete(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	handling := user.Soft
	if v, ok := r.URL.Query()["data"]; ok {
		// refuseCommandQuery let through one value at most.
		if v[0] != string(user.Soft) && v[0] != string(user.Anonymize) {
			a.fail(w, r, badParam("data", `must be "soft" or "anonymize"`))
			return
		}
		handling = user.DataHandling(v[0])
	}
	if _, err := a.visibleTarget(r, id); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Users.Delete(r.Context(), metadata(r), id, ifMatch, handling)
	if err == nil {
		revokeSessions(r.Context(), a.deps, id)
	}
	a.answer(w, r, id, res, err)
}

// resetPassword is an admin's reset: a password the user keeps, or a
// temporary one it must change at the next login. Every session of the
// user ends.
func (a usersAPI) resetPassword(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err == nil {
		_, err = a.visibleTarget(r, id)
	}
	var req resetPasswordRequest
	if err == nil {
		err = readJSON(r, &req)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	set := a.deps.Users.ChangePassword
	if req.Temporary {
		set = a.deps.Users.SetTemporaryPassword
	}
	a.passwordSet(w, r, id)(set(r.Context(), metadata(r), id, ifMatch, req.Password))
}

// changeOwnPassword is a user's own change (PUT /v1/me/password), which
// also ends all of its sessions, this one included.
func (a usersAPI) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	id := principalFrom(r.Context()).UserID
	ifMatch, err := ifMatchRevision(r)
	var req passwordRequest
	if err == nil {
		err = readJSON(r, &req)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.passwordSet(w, r, id)(a.deps.Users.ChangeOwnPassword(r.Context(), metadata(r), id, ifMatch, req.CurrentPassword, req.Password))
}

// passwordSet answers a password change and ends the user's sessions.
func (a usersAPI) passwordSet(w http.ResponseWriter, r *http.Request, id uuid.UUID) func(commands.Result, error) {
	return func(res commands.Result, err error) {
		if err == nil && res.Appended {
			revokeSessions(r.Context(), a.deps, id)
		}
		a.answer(w, r, id, res, err)
	}
}

func (a usersAPI) addNote(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req noteRequest
	if err := readJSON(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, err := a.visibleTarget(r, id); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Users.AddNote(r.Context(), metadata(r), id, ifMatch, req.Text)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCommandResult(w, http.StatusCreated, id, res)
}

func (a usersAPI) answer(w http.ResponseWriter, r *http.Request, id uuid.UUID, res commands.Result, err error) {
	if errors.Is(err, user.ErrNoUser) {
		err = errHidden(id) // worded as GET words it
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCommandResult(w, http.StatusOK, id, res)
}

func (a usersAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	respondError(a.deps.Logger, w, r, err)
}

func writeCommandResult(w http.ResponseWriter, status int, userID uuid.UUID, res commands.Result) {
	body := commandResponse{ID: res.ID.String(), UserID: userID.String(), Revision: res.Revision, Changed: res.Appended}
	if res.Appended {
		body.Position = formatPosition(res)
		w.Header().Set("X-Event-Position", body.Position)
	}
	w.Header().Set("ETag", etag(res.Revision))
	writeJSON(w, status, body)
}

func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// target reads the user ID from the path and the optional If-Match revision.
func target(r *http.Request) (uuid.UUID, *uint64, error) {
	id, err := userID(r)
	if err != nil {
		return uuid.Nil, nil, err
	}
	rev, err := ifMatchRevision(r)
	return id, rev, err
}

func formatPosition(res commands.Result) string { return checkpoint.Format(res.Position) }

func badParam(name, msg string) error {
	return badRequest("invalid-parameter", fmt.Sprintf("%s %s", name, msg),
		domain.FieldError{Field: name, Code: domain.CodeInvalid, Message: msg})
}

// readJSON reads and strictly decodes a required JSON body.
func readJSON(r *http.Request, dst any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

// readOptionalJSON is readJSON for bodies that may be absent.
func readOptionalJSON(r *http.Request, dst any) error {
	body, err := readBody(r)
	if err != nil || len(strings.TrimSpace(string(body))) == 0 {
		return err
	}
	return decodeJSON(body, dst)
}

// metadata builds the event metadata of a request: the actor is the
// authenticated user, or the system on public routes.
func metadata(r *http.Request) commands.Metadata {
	md := commands.System(requestIDFrom(r.Context()))
	if p := principalFrom(r.Context()); p != nil {
		md.ActorID, md.ActorKind = p.UserID.String(), commands.ActorUser
	}
	if c := r.Header.Get("X-Correlation-Id"); validRequestID.MatchString(c) {
		md.CorrelationID = c
	}
	md.CausationID = requestIDFrom(r.Context())
	md.ClientIP = clientIP(r)
	if ua := r.UserAgent(); len(ua) <= 512 {
		md.UserAgent = ua
	}
	return md
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
