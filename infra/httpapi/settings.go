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
		never := uint64(commands.NeverWritten)
		return &never, nil // "never set": any setting since fails it
	}
	*ifMatch--
	return ifMatch, nil
}

// getSettings serves a settings document; its ETag is the settings
// revision + 1, so that "never set" is "0".
func getSettings[T any](deps Deps, load func(context.Context) (T, int64, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, rev, err := load(r.Context())
		if err != nil {
			respondError(deps.Logger, w, r, err)
			return
		}
		w.Header().Set("ETag", etag(uint64(rev+1)))
		writeJSON(w, http.StatusOK, v)
	}
}

// putSettings replaces a settings document: If-Match as a settings ETag,
// the whole document as strict JSON, check (may be nil) for what the
// document refers to, then set.
func putSettings[T any](deps Deps, check func(context.Context, T) error,
	set func(context.Context, commands.Metadata, *uint64, T) (commands.Result, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ifMatch, err := settingsIfMatch(r)
		var req T
		if err == nil {
			err = readJSON(r, &req)
		}
		if err == nil && check != nil {
			err = check(r.Context(), req)
		}
		if err != nil {
			respondError(deps.Logger, w, r, err)
			return
		}
		res, err := set(r.Context(), metadata(r), ifMatch, req)
		if err != nil {
			respondError(deps.Logger, w, r, err)
			return
		}
		writeSettingsResult(w, res)
	}
}

// passwordPolicy is the policy as GET shows it: no class list is [].
func (a settingsAPI) passwordPolicy(ctx context.Context) (passwordpolicy.Policy, int64, error) {
	p, rev, err := a.deps.Passwords.PasswordPolicy(ctx)
	if p.RequireClasses == nil {
		p.RequireClasses = []passwordpolicy.Class{}
	}
	return p, rev, err
}
