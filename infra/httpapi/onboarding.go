package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/registration"
)

// OnboardingCommands are the emailed-link flows: invitations, password
// resets and email verification (*commands.Users is one).
type OnboardingCommands interface {
	ResendInvitation(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64) (commands.Result, error)
	RevokeInvitation(ctx context.Context, md commands.Metadata, id uuid.UUID, ifMatch *uint64) (commands.Result, error)
	AcceptInvitation(ctx context.Context, md commands.Metadata, token, password string) (commands.Result, error)
	SendPasswordReset(ctx context.Context, md commands.Metadata, id uuid.UUID) (commands.Result, error)
	ForgotPassword(ctx context.Context, md commands.Metadata, email string) (bool, error)
	CompletePasswordReset(ctx context.Context, md commands.Metadata, token, password string) (commands.Result, error)
	VerifyEmail(ctx context.Context, md commands.Metadata, token, password string) (commands.Result, error)
	ResendVerification(ctx context.Context, md commands.Metadata, email string) (bool, error)
}

// SignUpCommands handle self-registration and its settings.
type SignUpCommands interface {
	Register(ctx context.Context, md commands.Metadata, in commands.SignUp) (commands.SignUpResult, error)
}

// RegistrationSettings read and set the self-registration settings.
type RegistrationSettings interface {
	Settings(ctx context.Context) (registration.Settings, int64, error)
	SetSettings(ctx context.Context, md commands.Metadata, ifMatch *uint64, s registration.Settings) (commands.Result, error)
}

// onboardingAPI serves the public link endpoints and the admin's
// invitation and reset-email actions.
type onboardingAPI struct {
	deps Deps
	// background bounds the forgot-password and resend-verification work
	// that runs after the answer: at most cap(background) at once; more
	// are dropped (and logged), as a flood deserves.
	background chan struct{}
}

func newOnboardingAPI(deps Deps) onboardingAPI {
	return onboardingAPI{deps: deps, background: make(chan struct{}, 16)}
}

type emailRequest struct {
	Email string `json:"email"`
}

type tokenPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

type acceptedResponse struct {
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// forgotPassword answers 202 whether or not the address has an account,
// and does the work after answering, so that neither the answer nor its
// timing tells which addresses exist.
func (a onboardingAPI) forgotPassword(w http.ResponseWriter, r *http.Request) {
	var req emailRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	md := metadata(r)
	if !withinLimits(a.deps, w, r, a.deps.PublicLimits.withDefaults().forgot(md.ClientIP, req.Email)) {
		return
	}
	a.later(r, "forgot password", func(ctx context.Context) error {
		_, err := a.deps.Onboarding.ForgotPassword(ctx, md, req.Email)
		return err
	})
	writeJSON(w, http.StatusAccepted, acceptedResponse{Status: "accepted",
		Detail: "if the address belongs to an active account, a password reset link is on its way"})
}

// followLink serves the JSON twin of a link page (see linkPages):
// {token, password} runs the page's command; 204 when done, else a
// problem naming what is wrong (a dead link, a refused password).
func (a onboardingAPI) followLink(page string) http.HandlerFunc {
	lp := linkPages[page]
	return func(w http.ResponseWriter, r *http.Request) {
		var req tokenPasswordRequest
		if err := readJSON(r, &req); err != nil {
			respondError(a.deps.Logger, w, r, err)
			return
		}
		if !withinLimits(a.deps, w, r, lp.limits(a.deps.PublicLimits.withDefaults(), metadata(r).ClientIP, req.Token)) {
			return
		}
		err := requireToken(req.Token)
		if err == nil {
			err = lp.act(a, r, req.Token, req.Password)
		}
		if err != nil {
			respondError(a.deps.Logger, w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// resendVerification answers like forgotPassword: 202 either way.
func (a onboardingAPI) resendVerification(w http.ResponseWriter, r *http.Request) {
	var req emailRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	md := metadata(r)
	if !withinLimits(a.deps, w, r, a.deps.PublicLimits.withDefaults().verify(md.ClientIP, accountKey(req.Email))) {
		return
	}
	a.later(r, "resend verification", func(ctx context.Context) error {
		_, err := a.deps.Onboarding.ResendVerification(ctx, md, req.Email)
		return err
	})
	writeJSON(w, http.StatusAccepted, acceptedResponse{Status: "accepted",
		Detail: "if the address belongs to an account waiting for verification, a new link is on its way"})
}

type registrationRequest struct {
	Email     string         `json:"email"`
	FirstName string         `json:"first_name"`
	LastName  string         `json:"last_name"`
	Password  string         `json:"password"`
	Fields    map[string]any `json:"fields"`
}

type registrationResponse struct {
	Status string `json:"status"`
	UserID string `json:"user_id,omitempty"`
	Detail string `json:"detail"`
}

// register is the public sign-up. With verification required it answers
// 202 whether the address was free or not (see commands.SignUps.Register);
// without, the account is active at once: 201, or 409 for a taken address.
func (a onboardingAPI) register(w http.ResponseWriter, r *http.Request) {
	var req registrationRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	md := metadata(r)
	if !withinLimits(a.deps, w, r, a.deps.PublicLimits.withDefaults().register(md.ClientIP, req.Email)) {
		return
	}
	res, err := a.deps.SignUps.Register(r.Context(), md, commands.SignUp{
		Email: req.Email, FirstName: req.FirstName, LastName: req.LastName, Password: req.Password, Fields: req.Fields,
	})
	switch {
	case errors.Is(err, commands.ErrRegistrationDisabled):
		writeProblem(w, r, problem{Type: "registration-disabled", Status: http.StatusForbidden, Detail: "self-registration is disabled"})
		return
	case err != nil:
		respondError(a.deps.Logger, w, r, err)
		return
	}
	if res.VerificationSent {
		writeJSON(w, http.StatusAccepted, registrationResponse{Status: "verification_pending",
			Detail: "follow the link in the email we sent to choose your password and finish signing up"})
		return
	}
	w.Header().Set("Location", "/v1/users/"+res.ID.String())
	writeJSON(w, http.StatusCreated, registrationResponse{Status: "active", UserID: res.ID.String(), Detail: "signed up; log in with POST /v1/auth/login"})
}

// later runs work after the answer, detached from the request but bounded
// in time and in number.
func (a onboardingAPI) later(r *http.Request, what string, work func(ctx context.Context) error) {
	ctx := context.WithoutCancel(r.Context())
	select {
	case a.background <- struct{}{}:
	default:
		a.deps.Logger.WarnContext(ctx, what+": too much background work; request dropped", slog.String("request_id", requestIDFrom(ctx)))
		return
	}
	go func() {
		defer func() { <-a.background }()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := work(ctx); err != nil {
			a.deps.Logger.ErrorContext(ctx, what+" failed", slog.Any("error", err), slog.String("request_id", requestIDFrom(ctx)))
		}
	}()
}

// requireToken refuses an empty token before any work.
func requireToken(token string) error {
	if token == "" {
		return domain.Invalid("token", domain.CodeRequired, "is required")
	}
	return nil
}

// tokenKey is the rate-limit key of a presented token: one account's link.
func tokenKey(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return "token:" + hex.EncodeToString(sum[:12])
}

// Admin actions on a user's links.

// resendInvitation issues a new invitation link (the old one dies).
func (a usersAPI) resendInvitation(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err == nil {
		_, err = a.visibleTarget(r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Onboarding.ResendInvitation(r.Context(), metadata(r), id, ifMatch)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCommandResult(w, http.StatusAccepted, id, res)
}

// revokeInvitation withdraws the live invitation link.
func (a usersAPI) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	id, ifMatch, err := target(r)
	if err == nil {
		_, err = a.visibleTarget(r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Onboarding.RevokeInvitation(r.Context(), metadata(r), id, ifMatch)
	a.answer(w, r, id, res, err)
}

// sendPasswordReset is the admin's "send reset email". An admin who
// resets a password suspects it, so every session of the user ends now,
// not only when the link is followed.
func (a usersAPI) sendPasswordReset(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	if err == nil {
		_, err = a.visibleTarget(r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.Onboarding.SendPasswordReset(r.Context(), metadata(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	revokeSessions(r.Context(), a.deps, id)
	writeCommandResult(w, http.StatusAccepted, id, res)
}

// Registration settings.

// checkRegistrationRefs refuses roles and organizations that do not exist
// (or are archived): a sign-up must never fail for the settings' fault.
func (a settingsAPI) checkRegistrationRefs(ctx context.Context, s registration.Settings) error {
	cat, err := a.deps.Catalogue.Catalogue(ctx)
	if err != nil {
		return err
	}
	var errs []error
	checkRoles := func(path string, keys []string) {
		for i, k := range keys {
			if _, ok := cat.Lookup(k); !ok {
				errs = append(errs, domain.Invalid(fmt.Sprintf("%s[%d]", path, i), "unknown", fmt.Sprintf("names no role: %q", k)))
			}
		}
	}
	checkOrg := func(path, id string) error {
		if id == "" || a.deps.OrgLoader == nil {
			return nil
		}
		o, _, err := a.deps.OrgLoader.Load(ctx, id)
		if err != nil && !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrInvalid) {
			return err
		}
		if err != nil || !o.Exists() || o.Archived() {
			errs = append(errs, domain.Invalid(path, "unknown", fmt.Sprintf("names no active organization: %q", id)))
		}
		return nil
	}
	checkRoles("default_roles", s.DefaultRoles)
	if err := checkOrg("default_org_id", s.DefaultOrgID); err != nil {
		return err
	}
	for i, rule := range s.DomainRules {
		checkRoles(fmt.Sprintf("domain_rules[%d].roles", i), rule.Roles)
		if err := checkOrg(fmt.Sprintf("domain_rules[%d].org_id", i), rule.OrgID); err != nil {
			return err
		}
	}
	return domain.CollectValidation(errs...)
}
