package httpapi

import (
	"net/http"
	"time"

	"github.com/clarynext/usermgmt/domain/auth"
)

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
	ifMatch, err := ifMatchRevision(r)
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	var req lockoutPolicyBody
	if err := readJSON(r, &req); err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
	if ifMatch != nil {
		// The ETag is the stream revision + 1, so that "never set" is 0.
		if *ifMatch == 0 {
			ifMatch = nil
		} else {
			*ifMatch--
		}
	}
	res, err := a.deps.Auth.SetLockoutPolicy(r.Context(), metadata(r), ifMatch, auth.Policy{
		MaxFailures: req.MaxFailures, Window: time.Duration(req.WindowSeconds) * time.Second,
		LockDuration: time.Duration(req.LockDurationSeconds) * time.Second, PermanentAfter: req.PermanentAfter,
	})
	if err != nil {
		respondError(a.deps.Logger, w, r, err)
		return
	}
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
