package mfa

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// Errors of the TOTP commands. Each matches a domain error kind.
var (
	// ErrAlreadyEnrolled: StartEnrollment for a user who has a confirmed
	// authenticator; an admin resets it first. Matches domain.ErrConflict.
	ErrAlreadyEnrolled = &domain.ConflictError{Code: "totp_already_enrolled", Message: "a TOTP authenticator is already enrolled"}
	// ErrNoPendingEnrollment: Confirm with no enrolment started. Matches
	// domain.ErrConflict.
	ErrNoPendingEnrollment = &domain.ConflictError{Code: "totp_not_pending", Message: "no TOTP enrolment is pending"}
	// ErrNotEnrolled: using a code or recovery code of a user without a
	// confirmed authenticator. Matches domain.ErrConflict.
	ErrNotEnrolled = &domain.ConflictError{Code: "totp_not_enrolled", Message: "no TOTP authenticator is enrolled"}
	// ErrCodeReplayed: UseCode with a time step already used, or older than
	// the last one used. Matches domain.ErrConflict.
	ErrCodeReplayed = &domain.ConflictError{Code: "totp_code_replayed", Message: "the code's time step was already used"}
	// ErrRecoveryCodeUsed: UseRecoveryCode with a code used before.
	// Matches domain.ErrConflict.
	ErrRecoveryCodeUsed = &domain.ConflictError{Code: "recovery_code_used", Message: "the recovery code was already used"}
)

// enrolment is where a user's TOTP enrolment stands.
type enrolment int

const (
	none enrolment = iota
	pending
	enrolled
)

// TOTP is the second factor of one user, folded from its mfa stream: the
// sealed secret (pending or confirmed), the recovery code hashes and which
// of them were used, and the last time step whose code was used.
//
// The zero TOTP (Load with an empty history) is a user who never enrolled.
// Commands return new events and apply them to the receiver. A TOTP is not
// safe for concurrent use; load one per command.
type TOTP struct {
	userID   uuid.UUID
	state    enrolment
	secret   string // sealed; pending or confirmed per state
	hashes   []string
	used     []bool // per recovery code
	lastStep int64  // newest step used; 0 when none
	anyStep  bool   // a step was used since the secret was set
}

// Load folds the mfa stream of the user, oldest first.
func Load(userID uuid.UUID, history ...domain.Event) (*TOTP, error) {
	t := &TOTP{userID: userID}
	if err := t.Fold(history...); err != nil {
		return nil, err
	}
	return t, nil
}

// Fold applies further stored events. It fails only on an event that is
// not an mfa event of this user (a wiring mistake).
func (t *TOTP) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := t.apply(e); err != nil {
			return err
		}
	}
	return nil
}

// apply is the one place where events change state, for replay and for new
// events alike.
func (t *TOTP) apply(e domain.Event) error {
	var id uuid.UUID
	switch e := e.(type) {
	case TOTPEnrollmentStarted:
		id = e.UserID
		t.forget()
		t.state, t.secret = pending, e.SealedSecret
	case TOTPEnrolled:
		id = e.UserID
		t.state = enrolled
		t.hashes = slices.Clone(e.RecoveryCodeHashes)
		t.used = make([]bool, len(e.RecoveryCodeHashes))
	case TOTPCodeUsed:
		id = e.UserID
		t.lastStep, t.anyStep = max(t.lastStep, e.Step), true
	case RecoveryCodeUsed:
		id = e.UserID
		if e.Index >= 0 && e.Index < len(t.used) {
			t.used[e.Index] = true
		}
	case Reset:
		id = e.UserID
		t.forget()
	default:
		return fmt.Errorf("mfa: cannot apply event %T to a TOTP second factor", e)
	}
	if id != t.userID {
		return fmt.Errorf("mfa: event %s of user %s in the second factor of user %s", e.EventType(), id, t.userID)
	}
	return nil
}

// forget drops the secret, the recovery codes and the used steps: the
// steps of a secret say nothing about the codes of the next one.
func (t *TOTP) forget() {
	*t = TOTP{userID: t.userID}
}

// record applies new events and returns them.
func (t *TOTP) record(events ...domain.Event) []domain.Event {
	if err := t.Fold(events...); err != nil {
		panic(err) // the aggregate built an event it cannot apply: a bug
	}
	return events
}

// StartEnrollment records a new sealed secret to be confirmed. It is
// refused while an authenticator is enrolled (ErrAlreadyEnrolled); a
// pending enrolment is replaced, so a user who lost the QR code can start
// over.
func (t *TOTP) StartEnrollment(sealedSecret string, now time.Time) ([]domain.Event, error) {
	if sealedSecret == "" {
		return nil, domain.Invalid("secret", domain.CodeRequired, "a sealed secret is required")
	}
	if t.state == enrolled {
		return nil, ErrAlreadyEnrolled
	}
	return t.record(TOTPEnrollmentStarted{UserID: t.userID, SealedSecret: sealedSecret, At: eventTime(now)}), nil
}

// Confirm completes the pending enrolment after the caller checked a code
// against the pending secret; validStep is that code's time step, recorded
// as used so that the confirming code cannot also log in. recoveryHashes
// are the hashes of the new recovery codes (at least one, none empty).
func (t *TOTP) Confirm(validStep int64, recoveryHashes []string, now time.Time) ([]domain.Event, error) {
	if len(recoveryHashes) == 0 || slices.Contains(recoveryHashes, "") {
		return nil, domain.Invalid("recovery_codes", domain.CodeRequired, "recovery code hashes are required")
	}
	if validStep < 0 {
		return nil, domain.Invalid("step", domain.CodeInvalid, "the time step is negative")
	}
	if t.state != pending {
		return nil, ErrNoPendingEnrollment
	}
	at := eventTime(now)
	return t.record(
		TOTPEnrolled{UserID: t.userID, RecoveryCodeHashes: slices.Clone(recoveryHashes), At: at},
		TOTPCodeUsed{UserID: t.userID, Step: validStep, At: at},
	), nil
}

// UseCode records the use of a valid code of the time step step. It is
// refused with ErrCodeReplayed for a step at or before the last one used,
// and with ErrNotEnrolled without a confirmed authenticator.
func (t *TOTP) UseCode(step int64, now time.Time) ([]domain.Event, error) {
	if t.state != enrolled {
		return nil, ErrNotEnrolled
	}
	if step < 0 || (t.anyStep && step <= t.lastStep) {
		return nil, ErrCodeReplayed
	}
	return t.record(TOTPCodeUsed{UserID: t.userID, Step: step, At: eventTime(now)}), nil
}

// UseRecoveryCode records the use of the recovery code at index, after the
// caller checked the code against its hash. Each code is used once
// (ErrRecoveryCodeUsed).
func (t *TOTP) UseRecoveryCode(index int, now time.Time) ([]domain.Event, error) {
	if t.state != enrolled {
		return nil, ErrNotEnrolled
	}
	if index < 0 || index >= len(t.hashes) {
		return nil, domain.Invalid("index", domain.CodeInvalid, "no recovery code has this index")
	}
	if t.used[index] {
		return nil, ErrRecoveryCodeUsed
	}
	return t.record(RecoveryCodeUsed{UserID: t.userID, Index: index, At: eventTime(now)}), nil
}

// Reset removes the second factor, enrolled or pending. With neither it
// changes nothing and returns no events.
func (t *TOTP) Reset(now time.Time) []domain.Event {
	if t.state == none {
		return nil
	}
	return t.record(Reset{UserID: t.userID, At: eventTime(now)})
}

// UserID is the user whose second factor this is.
func (t *TOTP) UserID() uuid.UUID { return t.userID }

// Enrolled reports whether the user has a confirmed authenticator, so that
// a login needs a second factor.
func (t *TOTP) Enrolled() bool { return t.state == enrolled }

// Pending reports whether an enrolment waits for confirmation.
func (t *TOTP) Pending() bool { return t.state == pending }

// SealedSecret is the sealed secret: the pending one while an enrolment is
// pending, the confirmed one once enrolled, "" with neither.
func (t *TOTP) SealedSecret() string { return t.secret }

// RecoveryCodeHashes returns the hashes of the recovery codes, used or
// not, in index order (a copy).
func (t *TOTP) RecoveryCodeHashes() []string { return slices.Clone(t.hashes) }

// Used reports whether the recovery code at index i was used; false for an
// index that has no code.
func (t *TOTP) Used(i int) bool { return i >= 0 && i < len(t.used) && t.used[i] }

// LastStep is the newest time step whose code was used, and whether any
// was since the secret was set.
func (t *TOTP) LastStep() (step int64, ok bool) { return t.lastStep, t.anyStep }
