package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/mfa"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/session"
)

// SecondFactors enrol, check and reset TOTP authenticators.
type SecondFactors interface {
	StartTOTP(ctx context.Context, md commands.Metadata, userID uuid.UUID, accountName string) (commands.Enrollment, error)
	ConfirmTOTP(ctx context.Context, md commands.Metadata, userID uuid.UUID, code string) ([]string, error)
	VerifySecondFactor(ctx context.Context, md commands.Metadata, userID uuid.UUID, code string) error
	ResetTOTP(ctx context.Context, md commands.Metadata, userID uuid.UUID) (commands.Result, error)
	Status(ctx context.Context, userID uuid.UUID) (bool, error)
	Policy(ctx context.Context) (mfa.Policy, int64, error)
	SetPolicy(ctx context.Context, md commands.Metadata, ifMatch *uint64, p mfa.Policy) (commands.Result, error)
}

// enrolmentRequired reports whether the policy makes the user enrol a
// second factor before anything else: an administrator (System Admin or
// Org Admin, held directly or as its organization role) without one.
func (a authAPI) enrolmentRequired(ctx context.Context, u *user.User) (bool, error) {
	if a.deps.SecondFactors == nil {
		return false, nil
	}
	admin := u.HasRole(role.SystemAdmin) || u.HasRole(role.OrgAdmin) || u.OrgRole() == role.OrgAdmin
	if !admin {
		return false, nil
	}
	p, _, err := a.deps.SecondFactors.Policy(ctx)
	if err != nil || !p.RequireForAdmins {
		return false, err
	}
	enrolled, err := a.deps.SecondFactors.Status(ctx, u.ID())
	return !enrolled, err
}

// secondFactorChallenge is the answer to a right password of a user with
// a second factor: the challenge to present with the code.
type secondFactorChallenge struct {
	SecondFactorRequired bool      `json:"second_factor_required"`
	Challenge            string    `json:"challenge"`
	ExpiresAt            time.Time `json:"expires_at"`
}

type secondFactorRequest struct {
	Challenge string `json:"challenge"`
	Code      string `json:"code"`
}

type enrollmentResponse struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
	QRPNG  []byte `json:"qr_png"` // base64 in JSON
}

type confirmRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// secondFactorRequired is the LoginAttempt hook that asks whether the user
// has a second factor; nil without a second-factor handler.
func (a authAPI) secondFactorRequired() func(context.Context, uuid.UUID) (bool, error) {
	if a.deps.SecondFactors == nil {
		return nil
	}
	return a.deps.SecondFactors.Status
}

// challenge answers a right password of a user with a second factor.
func (a authAPI) challenge(w http.ResponseWriter, r *http.Request, res commands.LoginResult, info session.Info) {
	token, s, ok := a.open(w, r, a.deps.Challenges, res, info)
	if !ok {
		return
	}
	writeJSON(w, http.StatusAccepted, secondFactorChallenge{SecondFactorRequired: true, Challenge: token, ExpiresAt: s.ExpiresAt.UTC()})
}

// loginSecondFactor completes a login with a TOTP or recovery code. A
// wrong or replayed code counts toward the lockout like a wrong password;
// the challenge stays valid until it expires.
func (a authAPI) loginSecondFactor(w http.ResponseWriter, r *http.Request) {
	var req secondFactorRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	ch, err := a.deps.Challenges.Lookup(r.Context(), req.Challenge)
	if errors.Is(err, session.ErrInvalid) {
		unauthorized(w, r, "the challenge is invalid or expired; log in again")
		return
	}
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	md := metadata(r)
	// Same limits as the password step, per client IP and per account.
	if !a.withinLoginLimits(w, r, md.ClientIP, "user:"+ch.UserID.String()) {
		return
	}
	// A locked account gets no code checked (no argon2 for recovery
	// codes, no code used up): the attempt is recorded as locked.
	passed := false
	lock, err := a.deps.Auth.LockState(r.Context(), ch.UserID)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	if !lock.Locked {
		err = a.deps.SecondFactors.VerifySecondFactor(r.Context(), md, ch.UserID, req.Code)
		passed = err == nil
		if err != nil && !errors.Is(err, commands.ErrInvalidSecondFactor) {
			respondError(a.deps.Logger, w, r, err)
			return
		}
	}
	c := a.agents.Parse(ch.UserAgent)
	res, err := a.deps.Auth.CompleteSecondFactor(r.Context(), md, ch.UserID, passed,
		auth.ClientInfo{IP: md.ClientIP, UserAgent: ch.UserAgent, Device: c.Device, Browser: c.Browser, OS: c.OS})
	if errors.Is(err, commands.ErrInvalidCredentials) {
		unauthorized(w, r, "the code is wrong or was used already")
		return
	}
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	if err := a.deps.Challenges.Revoke(r.Context(), req.Challenge); err != nil && !errors.Is(err, session.ErrInvalid) {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	// The login was decided when the password was checked: a suspension,
	// deletion or password change since then revoked that decision.
	res.DecidedAt = ch.Created
	a.startSession(w, r, res, session.Info{IP: md.ClientIP, UserAgent: ch.UserAgent})
}

func (a authAPI) startTOTP(w http.ResponseWriter, r *http.Request) {
	if err := readOptionalJSON(r, &struct{}{}); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	p := principalFrom(r.Context())
	u, _, err := a.deps.UserLoader.Load(r.Context(), p.UserID)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	e, err := a.deps.SecondFactors.StartTOTP(r.Context(), metadata(r), p.UserID, u.Email())
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, enrollmentResponse{Secret: e.Secret, URI: e.URI, QRPNG: e.QRPNG})
}

func (a authAPI) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var req confirmRequest
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	codes, err := a.deps.SecondFactors.ConfirmTOTP(r.Context(), metadata(r), principalFrom(r.Context()).UserID, req.Code)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
}

// resetSecondFactor is an admin's "reset 2FA": the user logs in with its
// password alone until it enrols again.
func (a usersAPI) resetSecondFactor(w http.ResponseWriter, r *http.Request) {
	id, err := userID(r)
	var u *user.User
	if err == nil {
		u, err = a.visibleTarget(r, id)
	}
	if err == nil && u.Deleted() {
		err = user.ErrDeleted // the second factor lives in its own stream
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.deps.SecondFactors.ResetTOTP(r.Context(), metadata(r), id)
	a.answer(w, r, id, res, err)
}
