package auth

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// Policy is the lockout policy: MaxFailures counted failures within Window
// lock the user out for LockDuration. With PermanentAfter N > 0, the Nth
// lock since the user's last successful login or admin clear is permanent
// (it lasts until an admin clears it); 0 means locks are never permanent.
//
// In JSON the durations are whole seconds:
//
//	{"max_failures":5,"window_seconds":900,"lock_duration_seconds":900,"permanent_after":0}
type Policy struct {
	MaxFailures    int
	Window         time.Duration
	LockDuration   time.Duration
	PermanentAfter int
}

// Bounds of a valid Policy (see Validate).
const (
	MinMaxFailures    = 1
	MaxMaxFailures    = 100
	MinWindow         = time.Second
	MaxWindow         = 30 * 24 * time.Hour
	MinLockDuration   = time.Second
	MaxLockDuration   = 365 * 24 * time.Hour
	MaxPermanentAfter = 100
)

// DefaultPolicy is the policy until an admin sets one: 5 failures within
// 15 minutes lock the user out for 15 minutes, and no lock is permanent.
func DefaultPolicy() Policy {
	return Policy{MaxFailures: 5, Window: 15 * time.Minute, LockDuration: 15 * time.Minute}
}

// Validate checks every field and reports all broken rules at once as a
// *domain.ValidationError naming the JSON fields. Durations must be whole
// seconds, because that is how they are stored.
func (p Policy) Validate() error {
	var errs []error
	if p.MaxFailures < MinMaxFailures || p.MaxFailures > MaxMaxFailures {
		errs = append(errs, domain.Invalid("max_failures", domain.CodeInvalid,
			fmt.Sprintf("must be between %d and %d", MinMaxFailures, MaxMaxFailures)))
	}
	errs = append(errs,
		checkDuration("window_seconds", p.Window, MinWindow, MaxWindow),
		checkDuration("lock_duration_seconds", p.LockDuration, MinLockDuration, MaxLockDuration))
	if p.PermanentAfter < 0 || p.PermanentAfter > MaxPermanentAfter {
		errs = append(errs, domain.Invalid("permanent_after", domain.CodeInvalid,
			fmt.Sprintf("must be between 0 (never) and %d", MaxPermanentAfter)))
	}
	return domain.CollectValidation(errs...)
}

func checkDuration(field string, d, lo, hi time.Duration) error {
	switch {
	case d < lo || d > hi:
		return domain.Invalid(field, domain.CodeInvalid,
			fmt.Sprintf("must be between %d and %d seconds", int64(lo/time.Second), int64(hi/time.Second)))
	case d%time.Second != 0:
		return domain.Invalid(field, domain.CodeInvalid, "must be a whole number of seconds")
	}
	return nil
}

// policyJSON is the wire form of Policy.
type policyJSON struct {
	MaxFailures         int   `json:"max_failures"`
	WindowSeconds       int64 `json:"window_seconds"`
	LockDurationSeconds int64 `json:"lock_duration_seconds"`
	PermanentAfter      int   `json:"permanent_after"`
}

// MarshalJSON writes the durations as whole seconds.
func (p Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(policyJSON{
		MaxFailures:         p.MaxFailures,
		WindowSeconds:       int64(p.Window / time.Second),
		LockDurationSeconds: int64(p.LockDuration / time.Second),
		PermanentAfter:      p.PermanentAfter,
	})
}

// UnmarshalJSON reads the durations as seconds. It does not validate:
// stored history is fact and must replay; commands call Validate.
func (p *Policy) UnmarshalJSON(data []byte) error {
	var w policyJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*p = Policy{
		MaxFailures:    w.MaxFailures,
		Window:         seconds(w.WindowSeconds),
		LockDuration:   seconds(w.LockDurationSeconds),
		PermanentAfter: w.PermanentAfter,
	}
	return nil
}

// seconds converts without overflowing: out-of-range values saturate, so
// that Validate rejects them instead of seeing a wrapped-around duration.
func seconds(s int64) time.Duration {
	const maxSeconds = int64(1<<63-1) / int64(time.Second)
	switch {
	case s > maxSeconds:
		return time.Duration(1<<63 - 1)
	case s < -maxSeconds:
		return time.Duration(-1 << 63)
	}
	return time.Duration(s) * time.Second
}
