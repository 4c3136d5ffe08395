package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
)

// PasswordPolicies read and set the password policy.
type PasswordPolicies interface {
	PasswordPolicy(ctx context.Context) (passwordpolicy.Policy, int64, error)
	SetPasswordPolicy(ctx context.Context, md commands.Metadata, ifMatch *uint64, p passwordpolicy.Policy) (commands.Result, error)
}

// lockoutPolicyBody is the lockout policy as the API shows and takes it.
type lockoutPolicyBody struct {
	MaxFailures         int   `json:"max_failures"`
	WindowSeconds       int64 `json:"window_seconds"`
	LockDurationSeconds int64 `json:"lock_duration_seconds"`
	PermanentAfter      int   `json:"permanent_after"`
}

type settingsAPI struct{ deps Deps }

func (a settingsAPI) getLockout(w http.ResponseWriter, r *http.Request) {
	p, rev, err := a.deps.Auth.LockoutPolicy(r.Context())
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	w.Header().Set("ETag", etag(uint64(rev+1)))
	writeJSON(w, http.StatusOK, lockoutPolicyBody{
		MaxFailures: p.MaxFailures, WindowSeconds: int64(p.Window / time.Second),
		LockDurationSeconds: int64(p.LockDuration / time.Second), PermanentAfter: p.PermanentAfter,
	})
}

func (a settingsAPI) putLockout(w http.ResponseWriter, r *http.Request) {
	ifMatch, err := settingsIfMatch(r)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	var req lockoutPolicyBody
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	res, err := a.deps.Auth.SetLockoutPolicy(r.Context(), metadata(r), ifMatch, auth.Policy{
		MaxFailures: req.MaxFailures, Window: time.Duration(req.WindowSeconds) * time.Second,
		LockDuration: time.Duration(req.LockDurationSeconds) * time.Second, PermanentAfter: req.PermanentAfter,
	})
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	writeSettingsResult(w, res)
}

// writeSettingsResult answers a settings change. The ETag of a settings
// document is its stream revision + 1, so that "never set" is "0".
func writeSettingsResult(w http.ResponseWriter, res commands.Result) {
	body := struct {
		Revision uint64 `json:"revision"`
		Position string `json:"position,omitempty"`
		Changed  bool   `json:"changed"`
	}{Revision: res.Revision + 1, Changed: res.Appended}
	if res.Appended {
		body.Position = formatPosition(res)
		w.Header().Set("X-Event-Position", body.Position)
	}
	w.Header().Set("ETag", etag(res.Revision+1))
	writeJSON(w, http.StatusOK, body)
}

// settingsIfMatch reads If-Match as a settings ETag (revision + 1).
func settingsIfMatch(r *http.Request) (*uint64, error) {
	ifMatch, err := ifMatchRevision(r)
	if ifMatch == nil || err != nil {
		return nil, err
	}
	if *ifMatch == 0 {
		return nil, nil
	}
	*ifMatch--
	return ifMatch, nil
}

func (a settingsAPI) getPasswordPolicy(w http.ResponseWriter, r *http.Request) {
	p, rev, err := a.deps.Passwords.PasswordPolicy(r.Context())
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	if p.RequireClasses == nil {
		p.RequireClasses = []passwordpolicy.Class{}
	}
	w.Header().Set("ETag", etag(uint64(rev+1)))
	writeJSON(w, http.StatusOK, p)
}

func (a settingsAPI) putPasswordPolicy(w http.ResponseWriter, r *http.Request) {
	ifMatch, err := settingsIfMatch(r)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	var req passwordpolicy.Policy
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	res, err := a.deps.Passwords.SetPasswordPolicy(r.Context(), metadata(r), ifMatch, req)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	writeSettingsResult(w, res)
}
