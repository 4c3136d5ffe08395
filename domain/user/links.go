package user

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// Purpose names what a link token is for.
type Purpose string

// The purposes of link tokens.
const (
	PurposeInvitation   Purpose = "invitation"
	PurposeReset        Purpose = "password_reset"
	PurposeVerification Purpose = "verification"
)

// Token is a single-use link credential (invitation, password reset, email
// verification) as the user's history keeps it: never the token itself,
// only the hex SHA-256 of the string the link carries, the ID the link
// names it by, and when it stops working. Minting the token string and
// mailing it are the business of the layers above; the domain decides
// whether a presented token is the live one.
type Token struct {
	ID        uuid.UUID `json:"id"`
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Stable codes of the field errors on "token". Clients branch on them.
const (
	CodeTokenInvalid      = "invalid"
	CodeTokenExpired      = "expired"
	CodeTokenUsed         = "used"
	CodeTokenSuperseded   = "superseded"
	CodeTokenRevoked      = "revoked"
	CodeTokenEmailChanged = "email_changed"
	CodeTokenSuspended    = "suspended"
)

// spentMessages say why a token no longer works, by code.
var spentMessages = map[string]string{
	CodeTokenUsed:         "the link was already used",
	CodeTokenSuperseded:   "a newer link replaced this one; use the latest email",
	CodeTokenRevoked:      "the invitation was revoked",
	CodeTokenEmailChanged: "the email address changed after this link was sent",
	CodeTokenSuspended:    "the account was suspended after this link was sent",
}

// LinkState is what the user's history says about one purpose's links.
type LinkState struct {
	// Pending is the live token; its ID is uuid.Nil when there is none.
	Pending Token
	// LastSentAt is when the latest token was issued; Sends counts them.
	LastSentAt time.Time
	Sends      int
	// Ended says how the latest token ended (CodeTokenUsed,
	// CodeTokenRevoked, ...); empty while it is pending or when none was
	// ever sent.
	Ended string
}

// links keeps the link tokens of the three purposes.
type links struct {
	byPurpose map[Purpose]*LinkState
	// spent maps every token that no longer works to the code saying why.
	spent map[uuid.UUID]string
}

func (l *links) state(p Purpose) *LinkState {
	if l.byPurpose == nil {
		l.byPurpose = make(map[Purpose]*LinkState)
	}
	s, ok := l.byPurpose[p]
	if !ok {
		s = &LinkState{}
		l.byPurpose[p] = s
	}
	return s
}

// issue makes tok the live token of p; a live one before it is superseded.
func (l *links) issue(p Purpose, tok Token, at time.Time) {
	s := l.state(p)
	if s.Pending.ID != uuid.Nil {
		l.spend(p, CodeTokenSuperseded)
	}
	s.Pending, s.LastSentAt, s.Ended = tok, at, ""
	s.Sends++
}

// spend ends the live token of p, if any, for the reason code.
func (l *links) spend(p Purpose, code string) {
	s := l.state(p)
	if s.Pending.ID == uuid.Nil {
		return
	}
	if l.spent == nil {
		l.spent = make(map[uuid.UUID]string)
	}
	l.spent[s.Pending.ID] = code
	s.Pending, s.Ended = Token{}, code
}

// Link returns what the history says about the links of purpose p.
func (u *User) Link(p Purpose) LinkState {
	if s, ok := u.links.byPurpose[p]; ok {
		return *s
	}
	return LinkState{}
}

// LinkPending reports whether the token with the given ID is the live
// token of purpose p and has not expired at now: a mail carrying it is
// still worth sending.
func (u *User) LinkPending(p Purpose, id uuid.UUID, now time.Time) bool {
	s := u.Link(p)
	return id != uuid.Nil && s.Pending.ID == id && now.Before(s.Pending.ExpiresAt)
}

// checkNewToken validates a token the command layer minted.
func checkNewToken(tok Token, now time.Time) error {
	raw, err := hex.DecodeString(tok.Hash)
	switch {
	case tok.ID == uuid.Nil:
		return domain.Invalid("token", domain.CodeRequired, "token ID is required")
	case err != nil || len(raw) != 32:
		return domain.Invalid("token", domain.CodeInvalid, "token hash must be a hex SHA-256")
	case !tok.ExpiresAt.After(now):
		return domain.Invalid("token", domain.CodeInvalid, "token must expire after now")
	}
	return nil
}

// stored is tok as events keep it: its expiry in the form of event times.
func stored(tok Token) Token {
	tok.ExpiresAt = eventTime(tok.ExpiresAt)
	return tok
}

// consume judges a presented token (its ID and the hex SHA-256 of the
// string presented) against the live token of p. It fails with a
// *domain.ValidationError on "token" that says precisely why not.
func (u *User) consume(p Purpose, id uuid.UUID, hash string, now time.Time) error {
	live := u.Link(p).Pending
	if live.ID != id || live.ID == uuid.Nil {
		if code, ok := u.links.spent[id]; ok {
			return domain.Invalid("token", code, spentMessages[code])
		}
		return domain.Invalid("token", CodeTokenInvalid, "the link is not valid")
	}
	if subtle.ConstantTimeCompare([]byte(live.Hash), []byte(hash)) != 1 {
		return domain.Invalid("token", CodeTokenInvalid, "the link is not valid")
	}
	if !now.Before(live.ExpiresAt) {
		return domain.Invalid("token", CodeTokenExpired,
			fmt.Sprintf("the link expired at %s; ask for a new one", live.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	return nil
}

// applyToken folds the link events.
func (u *User) applyToken(e domain.Event) {
	switch e := e.(type) {
	case InvitationSent:
		u.links.issue(PurposeInvitation, e.Token, e.At)
	case InvitationRevoked:
		u.links.spend(PurposeInvitation, CodeTokenRevoked)
	case InvitationAccepted:
		u.links.spend(PurposeInvitation, CodeTokenUsed)
		u.status = StatusActive
	case ResetRequested:
		u.links.issue(PurposeReset, e.Token, e.At)
	case ResetCompleted:
		u.links.spend(PurposeReset, CodeTokenUsed)
	case VerificationSent:
		u.links.issue(PurposeVerification, e.Token, e.At)
	case EmailVerified:
		u.links.spend(PurposeVerification, CodeTokenUsed)
		u.status = StatusActive
	}
}

// InvitationSent issues an invitation link: the user chooses a password
// through it. A newer one supersedes the one before (a resend).
type InvitationSent struct {
	UserID uuid.UUID `json:"user_id"`
	Token  Token     `json:"token"`
	At     time.Time `json:"at"`
}

// InvitationRevoked withdraws the live invitation link; the user stays
// invited until an admin sends a new one or deletes the user.
type InvitationRevoked struct {
	UserID  uuid.UUID `json:"user_id"`
	TokenID uuid.UUID `json:"token_id"`
	At      time.Time `json:"at"`
}

// InvitationAccepted makes an invited user active. It is followed by the
// PasswordSet that the acceptance chose.
type InvitationAccepted struct {
	UserID  uuid.UUID `json:"user_id"`
	TokenID uuid.UUID `json:"token_id"`
	At      time.Time `json:"at"`
}

// ResetRequested issues a password-reset link. ByAdmin tells an admin's
// "send reset email" from the user's own "forgot password".
type ResetRequested struct {
	UserID  uuid.UUID `json:"user_id"`
	Token   Token     `json:"token"`
	ByAdmin bool      `json:"by_admin,omitempty"`
	At      time.Time `json:"at"`
}

// ResetCompleted spends a password-reset link. It is followed by the
// PasswordSet that the reset chose.
type ResetCompleted struct {
	UserID  uuid.UUID `json:"user_id"`
	TokenID uuid.UUID `json:"token_id"`
	At      time.Time `json:"at"`
}

// VerificationSent issues an email-verification link to a user who signed
// up; a newer one supersedes the one before.
type VerificationSent struct {
	UserID uuid.UUID `json:"user_id"`
	Token  Token     `json:"token"`
	At     time.Time `json:"at"`
}

// EmailVerified makes an unverified user active.
type EmailVerified struct {
	UserID  uuid.UUID `json:"user_id"`
	TokenID uuid.UUID `json:"token_id"`
	At      time.Time `json:"at"`
}

// EventType implements domain.Event.
func (InvitationSent) EventType() string { return TypeInvitationSent }

// EventType implements domain.Event.
func (InvitationRevoked) EventType() string { return TypeInvitationRevoked }

// EventType implements domain.Event.
func (InvitationAccepted) EventType() string { return TypeInvitationAccepted }

// EventType implements domain.Event.
func (ResetRequested) EventType() string { return TypeResetRequested }

// EventType implements domain.Event.
func (ResetCompleted) EventType() string { return TypeResetCompleted }

// EventType implements domain.Event.
func (VerificationSent) EventType() string { return TypeVerificationSent }

// EventType implements domain.Event.
func (EmailVerified) EventType() string { return TypeEmailVerified }
