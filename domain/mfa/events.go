package mfa

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// StreamPrefix starts the name of every mfa stream, "mfa-{userID}".
const StreamPrefix = "mfa-"

// Stream is the name of the mfa stream of the user with the given ID.
func Stream(id uuid.UUID) string { return StreamPrefix + id.String() }

// Event type names of mfa streams. They are stored with every event and
// never change; a changed payload meaning gets a new version.
const (
	TypeTOTPEnrollmentStarted = "mfa.totp_enrollment_started.v1"
	TypeTOTPEnrolled          = "mfa.totp_enrolled.v1"
	TypeTOTPCodeUsed          = "mfa.totp_code_used.v1"
	TypeRecoveryCodeUsed      = "mfa.recovery_code_used.v1"
	TypeReset                 = "mfa.reset.v1"
)

// Registrations lists the events of mfa streams for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{
		domain.Register[TOTPEnrollmentStarted](),
		domain.Register[TOTPEnrolled](),
		domain.Register[TOTPCodeUsed](),
		domain.Register[RecoveryCodeUsed](),
		domain.Register[Reset](),
	}
}

// TOTPEnrollmentStarted records a new TOTP secret that waits for the user
// to prove, with a valid code, that their authenticator holds it. It
// replaces any enrolment still pending. SealedSecret is the secret sealed
// with the server key and bound to the user; never the secret in clear.
type TOTPEnrollmentStarted struct {
	UserID       uuid.UUID `json:"user_id"`
	SealedSecret string    `json:"sealed_secret"`
	At           time.Time `json:"at"`
}

// TOTPEnrolled records that the user confirmed the pending secret with a
// valid code: from now on a login needs a second factor. The confirming
// code's step is recorded as used by a TOTPCodeUsed in the same append.
// RecoveryCodeHashes are password hashes of the recovery codes, in the
// order shown to the user; RecoveryCodeUsed refers to them by index.
type TOTPEnrolled struct {
	UserID             uuid.UUID `json:"user_id"`
	RecoveryCodeHashes []string  `json:"recovery_code_hashes"`
	At                 time.Time `json:"at"`
}

// TOTPCodeUsed records that a valid code of the time step Step (Unix time
// / 30 s) was used. No code of that step or an earlier one is accepted
// afterwards, so an observed code cannot be replayed.
type TOTPCodeUsed struct {
	UserID uuid.UUID `json:"user_id"`
	Step   int64     `json:"step"`
	At     time.Time `json:"at"`
}

// RecoveryCodeUsed records that the recovery code at Index (in
// TOTPEnrolled.RecoveryCodeHashes) was used; it is not accepted again.
type RecoveryCodeUsed struct {
	UserID uuid.UUID `json:"user_id"`
	Index  int       `json:"index"`
	At     time.Time `json:"at"`
}

// Reset records an admin removing the user's second factor: the secret,
// any pending enrolment and the recovery codes are gone, and the user logs
// in with the password alone until they enrol again. The admin is the
// actor in the event's metadata.
type Reset struct {
	UserID uuid.UUID `json:"user_id"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (TOTPEnrollmentStarted) EventType() string { return TypeTOTPEnrollmentStarted }

// EventType implements domain.Event.
func (TOTPEnrolled) EventType() string { return TypeTOTPEnrolled }

// EventType implements domain.Event.
func (TOTPCodeUsed) EventType() string { return TypeTOTPCodeUsed }

// EventType implements domain.Event.
func (RecoveryCodeUsed) EventType() string { return TypeRecoveryCodeUsed }

// EventType implements domain.Event.
func (Reset) EventType() string { return TypeReset }

// eventTime is the form of every time an event records: no monotonic
// reading, UTC, so that an event equals its JSON round trip.
func eventTime(now time.Time) time.Time { return now.Round(0).UTC() }
