package user_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

// invitedHistory is a user created with an invitation, followed by more.
func invitedHistory(more ...domain.Event) []domain.Event {
	c := created
	c.Status = user.StatusInvited
	return append([]domain.Event{c, user.InvitationSent{UserID: userID, Token: invite, At: t0}}, more...)
}

// unverifiedHistory is a user who signed up and must verify its email.
func unverifiedHistory(more ...domain.Event) []domain.Event {
	c := created
	c.Status, c.Source = user.StatusUnverified, user.SourceRegistration
	return append([]domain.Event{c, user.VerificationSent{UserID: userID, Token: invite, At: t0}}, more...)
}

var second = user.Token{ID: uuid.MustParse("6f1c1d2e-0000-4000-8000-0000000000a2"), Hash: hashOther, ExpiresAt: now.Add(time.Hour)}

func TestInvitations(t *testing.T) {
	accept := func(id uuid.UUID, hash string, at time.Time) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.AcceptInvitation(id, hash, hashB, at) }
	}
	resend := func(u *user.User) ([]domain.Event, error) { return u.SendInvitation(second, now) }
	revoke := func(u *user.User) ([]domain.Event, error) { return u.RevokeInvitation(now) }
	run(t, []scenario{
		{
			Name:  "accept: the invitation is spent, the password set, the user active",
			Given: invitedHistory(),
			When:  accept(invite.ID, invite.Hash, now),
			Then: []domain.Event{
				user.InvitationAccepted{UserID: userID, TokenID: invite.ID, At: now},
				user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashB}, At: now},
			},
		},
		{Name: "accept twice", Given: invitedHistory(user.InvitationAccepted{UserID: userID, TokenID: invite.ID, At: t0}),
			When: accept(invite.ID, invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:used"}},
		{Name: "forged: right ID, wrong secret", Given: invitedHistory(),
			When: accept(invite.ID, hashOther, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:invalid"}},
		{Name: "unknown token", Given: invitedHistory(),
			When: accept(uuid.New(), invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:invalid"}},
		{Name: "expired", Given: invitedHistory(),
			When: accept(invite.ID, invite.Hash, invite.ExpiresAt), WantErr: domain.ErrInvalid, WantFields: []string{"token:expired"}},
		{Name: "superseded by a resend", Given: invitedHistory(user.InvitationSent{UserID: userID, Token: second, At: t0}),
			When: accept(invite.ID, invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:superseded"}},
		{Name: "the resent one works", Given: invitedHistory(user.InvitationSent{UserID: userID, Token: second, At: t0}),
			When: accept(second.ID, second.Hash, now),
			Then: []domain.Event{
				user.InvitationAccepted{UserID: userID, TokenID: second.ID, At: now},
				user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashB}, At: now},
			}},
		{Name: "revoked", Given: invitedHistory(user.InvitationRevoked{UserID: userID, TokenID: invite.ID, At: t0}),
			When: accept(invite.ID, invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:revoked"}},
		{Name: "email changed after sending", Given: invitedHistory(user.EmailChanged{UserID: userID, PII: user.PII{Email: "new@example.com"}, At: t0}),
			When: accept(invite.ID, invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:email_changed"}},
		{Name: "suspended before accepting", Given: invitedHistory(suspended("")),
			When: accept(invite.ID, invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:suspended"}},
		{Name: "accept needs a password hash", Given: invitedHistory(),
			When: func(u *user.User) ([]domain.Event, error) {
				return u.AcceptInvitation(invite.ID, invite.Hash, "clear text", now)
			},
			WantErr: domain.ErrInvalid, WantFields: []string{"password:invalid"}},
		{Name: "resend", Given: invitedHistory(), When: resend,
			Then: []domain.Event{user.InvitationSent{UserID: userID, Token: second, At: now}}},
		{Name: "resend after revoking", Given: invitedHistory(user.InvitationRevoked{UserID: userID, TokenID: invite.ID, At: t0}), When: resend,
			Then: []domain.Event{user.InvitationSent{UserID: userID, Token: second, At: now}}},
		{Name: "resend to an active user", Given: history(), When: resend,
			WantErr: domain.ErrConflict, WantFields: []string{"status:not_invited"}},
		{Name: "resend with an expired token", Given: invitedHistory(),
			When:    func(u *user.User) ([]domain.Event, error) { return u.SendInvitation(second, second.ExpiresAt) },
			WantErr: domain.ErrInvalid, WantFields: []string{"token:invalid"}},
		{Name: "revoke", Given: invitedHistory(), When: revoke,
			Then: []domain.Event{user.InvitationRevoked{UserID: userID, TokenID: invite.ID, At: now}}},
		{Name: "revoke twice", Given: invitedHistory(user.InvitationRevoked{UserID: userID, TokenID: invite.ID, At: t0}), When: revoke,
			WantErr: domain.ErrConflict, WantFields: []string{"invitation:no_pending_invitation"}},
		{Name: "reactivating a suspended invitee returns it to invited", Given: invitedHistory(suspended("")),
			When: func(u *user.User) ([]domain.Event, error) { return u.Reactivate(now) },
			Then: []domain.Event{user.Reactivated{UserID: userID, Status: user.StatusInvited, At: now}}},
		{Name: "no password for an invitee: it chooses one through the link", Given: invitedHistory(),
			When:    func(u *user.User) ([]domain.Event, error) { return u.SetPassword(hashB, now) },
			WantErr: domain.ErrConflict, WantFields: []string{"status:pending_activation"}},
		{Name: "a user invited before invitations had links can be sent one",
			Given: []domain.Event{created, user.InviteRequested{UserID: userID, At: t0}}, When: resend,
			Then: []domain.Event{user.InvitationSent{UserID: userID, Token: second, At: now}}},
		{Name: "suspension ends the invitation link", Given: invitedHistory(suspended(""), user.Reactivated{UserID: userID, Status: user.StatusInvited, At: t0}),
			When: accept(invite.ID, invite.Hash, now), WantErr: domain.ErrInvalid, WantFields: []string{"token:suspended"}},
		{Name: "an admin cannot make an invitee active by editing", Given: invitedHistory(),
			When: func(u *user.User) ([]domain.Event, error) {
				return u.Edit(user.Patch{Status: ptr(user.StatusActive)}, now)
			},
			WantErr: domain.ErrConflict, WantFields: []string{"status:pending_activation"}},
	})
}

func TestInvitationState(t *testing.T) {
	u := load(t, invitedHistory(user.InvitationSent{UserID: userID, Token: second, At: now})...)
	s := u.Link(user.PurposeInvitation)
	if s.Pending != second || s.Sends != 2 || !s.LastSentAt.Equal(now) || s.Ended != "" {
		t.Fatalf("invitation state = %+v", s)
	}
	if u.LinkPending(user.PurposeInvitation, invite.ID, now) || !u.LinkPending(user.PurposeInvitation, second.ID, now) {
		t.Fatal("only the resent token is pending")
	}
	if u.LinkPending(user.PurposeInvitation, second.ID, second.ExpiresAt) {
		t.Fatal("an expired token is not pending")
	}
	if u.Status() != user.StatusInvited {
		t.Fatalf("status %q", u.Status())
	}
	if _, err := u.AcceptInvitation(second.ID, second.Hash, hashB, now); err != nil {
		t.Fatal(err)
	}
	if u.Status() != user.StatusActive || u.PasswordHash() != hashB || u.Link(user.PurposeInvitation).Ended != user.CodeTokenUsed {
		t.Fatalf("after accepting: status %q, ended %q", u.Status(), u.Link(user.PurposeInvitation).Ended)
	}
}

func TestPasswordReset(t *testing.T) {
	complete := func(id uuid.UUID, hash string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.CompleteReset(id, hash, hashB, now) }
	}
	requested := user.ResetRequested{UserID: userID, Token: invite, At: t0}
	run(t, []scenario{
		{Name: "request", Given: history(),
			When: func(u *user.User) ([]domain.Event, error) { return u.RequestReset(invite, true, now) },
			Then: []domain.Event{user.ResetRequested{UserID: userID, Token: invite, ByAdmin: true, At: now}}},
		{Name: "request for a suspended user", Given: history(suspended("")),
			When:    func(u *user.User) ([]domain.Event, error) { return u.RequestReset(invite, false, now) },
			WantErr: domain.ErrConflict, WantFields: []string{"status:suspended"}},
		{Name: "request for an invited user", Given: invitedHistory(),
			When:    func(u *user.User) ([]domain.Event, error) { return u.RequestReset(second, false, now) },
			WantErr: domain.ErrConflict, WantFields: []string{"status:not_active"}},
		{Name: "request for a deleted user", Given: history(deleted(user.Soft)),
			When:    func(u *user.User) ([]domain.Event, error) { return u.RequestReset(invite, false, now) },
			WantErr: domain.ErrNotFound},
		{Name: "complete", Given: history(requested), When: complete(invite.ID, invite.Hash),
			Then: []domain.Event{
				user.ResetCompleted{UserID: userID, TokenID: invite.ID, At: now},
				user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashB}, At: now},
			}},
		{Name: "complete twice", Given: history(requested, user.ResetCompleted{UserID: userID, TokenID: invite.ID, At: t0}),
			When: complete(invite.ID, invite.Hash), WantErr: domain.ErrInvalid, WantFields: []string{"token:used"}},
		{Name: "an invitation token is no reset token", Given: invitedHistory(),
			When: complete(invite.ID, invite.Hash), WantErr: domain.ErrInvalid, WantFields: []string{"token:invalid"}},
		{Name: "forged", Given: history(requested), When: complete(invite.ID, hashOther),
			WantErr: domain.ErrInvalid, WantFields: []string{"token:invalid"}},
		{Name: "suspended after requesting", Given: history(requested, suspended("")), When: complete(invite.ID, invite.Hash),
			WantErr: domain.ErrInvalid, WantFields: []string{"token:suspended"}},
	})
}

func TestEmailVerification(t *testing.T) {
	verify := func(id uuid.UUID, hash string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.VerifyEmail(id, hash, hashB, now) }
	}
	run(t, []scenario{
		{Name: "verify: the person who reads the mail chooses the password", Given: unverifiedHistory(), When: verify(invite.ID, invite.Hash),
			Then: []domain.Event{
				user.EmailVerified{UserID: userID, TokenID: invite.ID, At: now},
				user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashB}, At: now},
			}},
		{Name: "suspension ends the link", Given: unverifiedHistory(suspended(""), user.Reactivated{UserID: userID, Status: user.StatusUnverified, At: t0}),
			When: verify(invite.ID, invite.Hash), WantErr: domain.ErrInvalid, WantFields: []string{"token:suspended"}},
		{Name: "verify twice", Given: unverifiedHistory(user.EmailVerified{UserID: userID, TokenID: invite.ID, At: t0}),
			When: verify(invite.ID, invite.Hash), WantErr: domain.ErrInvalid, WantFields: []string{"token:used"}},
		{Name: "resend verification", Given: unverifiedHistory(),
			When: func(u *user.User) ([]domain.Event, error) { return u.SendVerification(second, now) },
			Then: []domain.Event{user.VerificationSent{UserID: userID, Token: second, At: now}}},
		{Name: "resend to a verified user", Given: unverifiedHistory(user.EmailVerified{UserID: userID, TokenID: invite.ID, At: t0}),
			When:    func(u *user.User) ([]domain.Event, error) { return u.SendVerification(second, now) },
			WantErr: domain.ErrConflict, WantFields: []string{"status:not_unverified"}},
	})
	u := load(t, unverifiedHistory(user.EmailVerified{UserID: userID, TokenID: invite.ID, At: t0})...)
	if u.Status() != user.StatusActive {
		t.Fatalf("status after verification %q", u.Status())
	}
}

func TestSignUp(t *testing.T) {
	run(t, []scenario{
		{
			Name: "with verification: no password until the link is followed",
			When: create(user.CreateInput{Email: "ada@example.com", SignUp: true, Verification: invite, Attributes: map[string]string{"company": "ACME"}}),
			Then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "ada@example.com", Attributes: map[string]string{"company": "ACME"}}, Status: user.StatusUnverified, Source: user.SourceRegistration, At: now},
				user.VerificationSent{UserID: userID, Token: invite, At: now},
			},
		},
		{
			Name:       "with verification, a password is refused",
			When:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: hashA, SignUp: true, Verification: invite}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"password:invalid"},
		},
		{
			Name: "without verification: active at once",
			When: create(user.CreateInput{Email: "ada@example.com", PasswordHash: hashA, SignUp: true}),
			Then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "ada@example.com"}, Source: user.SourceRegistration, At: now},
				user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashA}, At: now},
			},
		},
		{
			Name:       "without verification, a sign-up needs a password",
			When:       create(user.CreateInput{Email: "ada@example.com", SignUp: true}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"password:required"},
		},
	})
}
