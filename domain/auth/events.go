package auth

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// StreamPrefix starts the name of every auth stream, "auth-{userID}".
const StreamPrefix = "auth-"

// Stream is the name of the auth stream of the user with the given ID.
func Stream(id uuid.UUID) string { return StreamPrefix + id.String() }

// Event type names of auth streams. They are stored with every event and
// never change; a changed payload meaning gets a new version.
const (
	TypeLoginSucceeded = "auth.login_succeeded.v1"
	TypeLoginFailed    = "auth.login_failed.v1"
	TypeLocked         = "auth.locked.v1"
	TypeLockoutCleared = "auth.lockout_cleared.v1"
	TypeLockExpired    = "auth.lock_expired.v1"

	TypeUnknownAccountLoginFailed = "auth.unknown_account_login_failed.v1"
)

// UnknownAccountStream records the logins refused because no account has
// the address given (UnknownAccountLoginFailed). Its name does not start
// with StreamPrefix: it belongs to no user.
const UnknownAccountStream = "login-unknown-accounts"

// Registrations lists the events of auth streams for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{
		domain.Register[LoginSucceeded](),
		domain.Register[LoginFailed](),
		domain.Register[Locked](),
		domain.Register[LockoutCleared](),
		domain.Register[LockExpired](),
		domain.Register[UnknownAccountLoginFailed](),
	}
}

// MaxUserAgentLength is the longest User-Agent, in bytes, that an event
// keeps; the command layer cuts longer ones before they reach the domain.
const MaxUserAgentLength = 512

// ClientInfo says where an attempt came from. Device, Browser and OS are
// what the User-Agent header tells (see infra/useragent); any may be empty.
//
// The IP address and User-Agent are personal data, so events carry the
// ClientInfo under domain.PIIMember: erasing a person makes their login
// history unreadable along with the rest of their data.
type ClientInfo struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	Device    string `json:"device,omitempty"`
	Browser   string `json:"browser,omitempty"`
	OS        string `json:"os,omitempty"`
}

// FailureReason says why a login attempt of a known user failed.
type FailureReason string

// The failure reasons. Only ReasonWrongPassword and ReasonSecondFactor count
// toward a lockout: the others are refusals the user cannot guess past.
const (
	// ReasonWrongPassword: the password did not match.
	ReasonWrongPassword FailureReason = "wrong_password"
	// ReasonLocked: the user was locked out; the password was not judged
	// (a correct one fails too), and the attempt does not count.
	ReasonLocked FailureReason = "locked"
	// ReasonSuspended: the user is suspended.
	ReasonSuspended FailureReason = "suspended"
	// ReasonDeleted: the user is deleted.
	ReasonDeleted FailureReason = "deleted"
	// ReasonNoPassword: the user never set a password (invited, not yet
	// accepted).
	ReasonNoPassword FailureReason = "no_password"
	// ReasonUnverified: the user signed up and has not verified its email
	// address yet.
	ReasonUnverified FailureReason = "unverified"
	// ReasonSecondFactor: a wrong second factor (reserved: no second factor
	// exists yet).
	ReasonSecondFactor FailureReason = "second_factor"
)

// CountsTowardLockout reports whether a failure for this reason is one of
// the failures that lock the user out.
func (r FailureReason) CountsTowardLockout() bool {
	return r == ReasonWrongPassword || r == ReasonSecondFactor
}

// LoginSucceeded records a successful login. It ends any expired lock,
// forgets the failures so far and restarts the count of locks toward a
// permanent one.
type LoginSucceeded struct {
	UserID uuid.UUID  `json:"user_id"`
	At     time.Time  `json:"at"`
	Client ClientInfo `json:"pii"`
}

// LoginFailed records a refused login of a known user and why.
type LoginFailed struct {
	UserID uuid.UUID     `json:"user_id"`
	At     time.Time     `json:"at"`
	Reason FailureReason `json:"reason"`
	Client ClientInfo    `json:"pii"`
}

// Locked records that the user is locked out after Failures counted
// failures: until Until, or for good (Permanent, Until zero) until an admin
// clears the lockout. It always follows the LoginFailed that triggered it,
// in the same append.
type Locked struct {
	UserID    uuid.UUID `json:"user_id"`
	At        time.Time `json:"at"`
	Until     time.Time `json:"until,omitzero"`
	Permanent bool      `json:"permanent,omitempty"`
	Failures  int       `json:"failures"`
}

// LockoutCleared records an admin lifting the user's lockout and forgetting
// the failures and locks so far. The admin is the actor in the event's
// metadata.
type LockoutCleared struct {
	UserID uuid.UUID `json:"user_id"`
	At     time.Time `json:"at"`
}

// LockExpired records that a temporary lock ran out by time, so that read
// models which cannot watch the clock (the "locked" filter of the user
// list) learn it. The lock count toward a permanent lock is kept.
type LockExpired struct {
	UserID uuid.UUID `json:"user_id"`
	Until  time.Time `json:"until"` // the end of the lock that expired
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (LockExpired) EventType() string { return TypeLockExpired }

// EventType implements domain.Event.
func (LoginSucceeded) EventType() string { return TypeLoginSucceeded }

// EventType implements domain.Event.
func (LoginFailed) EventType() string { return TypeLoginFailed }

// EventType implements domain.Event.
func (Locked) EventType() string { return TypeLocked }

// EventType implements domain.Event.
func (LockoutCleared) EventType() string { return TypeLockoutCleared }

// EventType implements domain.Event.
func (UnknownAccountLoginFailed) EventType() string { return TypeUnknownAccountLoginFailed }

// NewUnknownAccountLoginFailed records a refused login of an unknown
// address from the client c: its families only.
func NewUnknownAccountLoginFailed(c ClientInfo, now time.Time) UnknownAccountLoginFailed {
	return UnknownAccountLoginFailed{At: eventTime(now), Device: c.Device, Browser: c.Browser, OS: c.OS}
}

// eventTime is the form of every time an event records: no monotonic
// reading, UTC, so that an event equals its JSON round trip.
func eventTime(now time.Time) time.Time { return now.Round(0).UTC() }

// UnknownAccountLoginFailed records a login refused because no account has
// the address given: a sign of guessing or credential stuffing, kept in
// UnknownAccountStream. It holds nothing personal (no address, IP or
// User-Agent, which belong to nobody who could ask for their erasure):
// only when, and the device, browser and OS families of the client.
// Recording it also makes such a refusal cost what the refusal of a known
// account does (one append), so that response times do not tell which
// addresses have accounts.
type UnknownAccountLoginFailed struct {
	At      time.Time `json:"at"`
	Device  string    `json:"device,omitempty"`
	Browser string    `json:"browser,omitempty"`
	OS      string    `json:"os,omitempty"`
}
