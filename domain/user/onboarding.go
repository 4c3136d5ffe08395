package user

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// SendInvitation issues a new invitation link to an invited user (a
// resend): the link before it stops working. A user who is not invited (it
// accepted, or it never was) is a *domain.ConflictError ("not_invited").
func (u *User) SendInvitation(tok Token, now time.Time) ([]domain.Event, error) {
	if err := u.mustBe(StatusInvited, "not_invited", "user is not waiting for an invitation"); err != nil {
		return nil, err
	}
	if err := checkNewToken(tok, now); err != nil {
		return nil, err
	}
	return u.record(InvitationSent{UserID: u.id, Token: stored(tok), At: eventTime(now)})
}

// RevokeInvitation withdraws the live invitation link. Without one it is a
// *domain.ConflictError ("no_pending_invitation").
func (u *User) RevokeInvitation(now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	live := u.Link(PurposeInvitation).Pending
	if u.status != StatusInvited || live.ID == uuid.Nil {
		return nil, &domain.ConflictError{Field: "invitation", Code: "no_pending_invitation", Message: "user has no pending invitation"}
	}
	return u.record(InvitationRevoked{UserID: u.id, TokenID: live.ID, At: eventTime(now)})
}

// AcceptInvitation spends the invitation token presented (its ID and the
// hex SHA-256 of the presented string), sets the password the user chose
// (an argon2id PHC hash) and makes the user active. A token that is not
// the live one fails with a *domain.ValidationError on "token" whose code
// says why (CodeTokenInvalid, CodeTokenExpired, CodeTokenUsed, ...); a
// suspended user is a *domain.ConflictError ("suspended").
func (u *User) AcceptInvitation(tokenID uuid.UUID, tokenHash, passwordHash string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	if err := u.consume(PurposeInvitation, tokenID, tokenHash, now); err != nil {
		return nil, err
	}
	if err := u.mustBe(StatusInvited, "not_invited", "user is not waiting for an invitation"); err != nil {
		return nil, err
	}
	if err := checkPasswordHash(passwordHash); err != nil {
		return nil, err
	}
	at := eventTime(now)
	return u.record(
		InvitationAccepted{UserID: u.id, TokenID: tokenID, At: at},
		PasswordSet{UserID: u.id, PII: PasswordPII{PasswordHash: passwordHash}, At: at},
	)
}

// RequestReset issues a password-reset link; byAdmin tells an admin's "send
// reset email" from the user's own "forgot password". Only an active user
// can reset its password: an invited one accepts its invitation, a
// suspended one stays locked out (*domain.ConflictError "not_active").
func (u *User) RequestReset(tok Token, byAdmin bool, now time.Time) ([]domain.Event, error) {
	if err := u.mustBe(StatusActive, "not_active", "only an active user can reset its password"); err != nil {
		return nil, err
	}
	if err := checkNewToken(tok, now); err != nil {
		return nil, err
	}
	return u.record(ResetRequested{UserID: u.id, Token: stored(tok), ByAdmin: byAdmin, At: eventTime(now)})
}

// CompleteReset spends the reset token presented and sets the new password
// (an argon2id PHC hash). Token errors are as for AcceptInvitation.
func (u *User) CompleteReset(tokenID uuid.UUID, tokenHash, passwordHash string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	if err := u.consume(PurposeReset, tokenID, tokenHash, now); err != nil {
		return nil, err
	}
	if err := u.mustBe(StatusActive, "not_active", "only an active user can reset its password"); err != nil {
		return nil, err
	}
	if err := checkPasswordHash(passwordHash); err != nil {
		return nil, err
	}
	at := eventTime(now)
	return u.record(
		ResetCompleted{UserID: u.id, TokenID: tokenID, At: at},
		PasswordSet{UserID: u.id, PII: PasswordPII{PasswordHash: passwordHash}, At: at},
	)
}

// SendVerification issues a new email-verification link to a user who
// signed up and has not verified yet ("not_unverified" otherwise).
func (u *User) SendVerification(tok Token, now time.Time) ([]domain.Event, error) {
	if err := u.mustBe(StatusUnverified, "not_unverified", "user has no email address to verify"); err != nil {
		return nil, err
	}
	if err := checkNewToken(tok, now); err != nil {
		return nil, err
	}
	return u.record(VerificationSent{UserID: u.id, Token: stored(tok), At: eventTime(now)})
}

// VerifyEmail spends the verification token presented, sets the password
// the person chose (an argon2id PHC hash) and makes the user active.
// Whoever can read the mailbox chooses the password: a sign-up with
// somebody else's address gains the signer nothing. Token errors are as
// for AcceptInvitation.
func (u *User) VerifyEmail(tokenID uuid.UUID, tokenHash, passwordHash string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	if err := u.consume(PurposeVerification, tokenID, tokenHash, now); err != nil {
		return nil, err
	}
	if err := u.mustBe(StatusUnverified, "not_unverified", "user has no email address to verify"); err != nil {
		return nil, err
	}
	if err := checkPasswordHash(passwordHash); err != nil {
		return nil, err
	}
	at := eventTime(now)
	return u.record(
		EmailVerified{UserID: u.id, TokenID: tokenID, At: at},
		PasswordSet{UserID: u.id, PII: PasswordPII{PasswordHash: passwordHash}, At: at},
	)
}

// mustBe guards a command that needs the user in one status; any other is
// a *domain.ConflictError on "status" with code, or "suspended" when the
// user is suspended.
func (u *User) mustBe(s Status, code, msg string) error {
	if err := u.mustExist(); err != nil {
		return err
	}
	switch {
	case u.status == s:
		return nil
	case u.status == StatusSuspended:
		return &domain.ConflictError{Field: "status", Code: "suspended", Message: "user is suspended"}
	}
	return &domain.ConflictError{Field: "status", Code: code, Message: msg}
}
