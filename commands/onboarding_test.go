package commands_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

// linkFixture is a fixture whose link tokens the test can mint, as the
// mail outbox does.
type linkFixture struct {
	*fixture
	links *linktoken.Minter
}

func newLinkFixture(t *testing.T) *linkFixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	links, err := linktoken.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	params := password.OWASP
	params.Memory = 1024
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	users, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: password.NewHasher(params, 4), Now: c.Now, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	return &linkFixture{fixture: &fixture{store: store, users: users, clock: c}, links: links}
}

// lastLink mints the token of the newest link event of type typ in the
// user's stream, as the outbox would mail it.
func (f *linkFixture) lastLink(t *testing.T, id uuid.UUID, typ string, p user.Purpose) string {
	t.Helper()
	evs := f.events(t, user.Stream(id))
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != typ {
			continue
		}
		var e struct {
			Token user.Token `json:"token"`
		}
		if err := json.Unmarshal(evs[i].Data, &e); err != nil {
			t.Fatal(err)
		}
		return f.links.Mint(string(p), id, e.Token.ID)
	}
	t.Fatalf("no %s event for %s", typ, id)
	return ""
}

// wantTokenError asserts a *domain.ValidationError on "token" with code.
func wantTokenError(t *testing.T, err error, code string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "token" || ve.Fields[0].Code != code {
		t.Fatalf("err = %v, want token:%s", err, code)
	}
}

func TestInvitationFlow(t *testing.T) {
	ctx := context.Background()
	f := newLinkFixture(t)
	res := f.create(t, "invitee@example.com")
	first := f.lastLink(t, res.ID, user.TypeInvitationSent, user.PurposeInvitation)

	if _, err := f.users.ResendInvitation(ctx, md, res.ID, nil); err != nil {
		t.Fatal(err)
	}
	second := f.lastLink(t, res.ID, user.TypeInvitationSent, user.PurposeInvitation)
	if first == second {
		t.Fatal("a resend minted the same token")
	}
	_, err := f.users.AcceptInvitation(ctx, md, first, "Correct-Horse-9")
	wantTokenError(t, err, user.CodeTokenSuperseded)

	// A reset link is not an invitation, whatever its user.
	_, err = f.users.AcceptInvitation(ctx, md, f.links.Mint(string(user.PurposeReset), res.ID, uuid.New()), "Correct-Horse-9")
	wantTokenError(t, err, user.CodeTokenInvalid)

	before := len(f.events(t, user.Stream(res.ID)))
	_, err = f.users.AcceptInvitation(ctx, md, second, "short")
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("a too short password: %v", err)
	}
	if n := len(f.events(t, user.Stream(res.ID))); n != before {
		t.Fatalf("a refused acceptance wrote %d events", n-before)
	}

	got, err := f.users.AcceptInvitation(ctx, md, second, "Correct-Horse-9")
	if err != nil || got.ID != res.ID {
		t.Fatalf("accept: %+v %v", got, err)
	}
	u, _, err := f.users.Load(ctx, res.ID)
	if err != nil || u.Status() != user.StatusActive || u.PasswordHash() == "" {
		t.Fatalf("after accepting: status %q, err %v", u.Status(), err)
	}
	_, err = f.users.AcceptInvitation(ctx, md, second, "Correct-Horse-9")
	wantTokenError(t, err, user.CodeTokenUsed)

	// Expiry.
	late := f.create(t, "late@example.com")
	link := f.lastLink(t, late.ID, user.TypeInvitationSent, user.PurposeInvitation)
	f.clock.Advance(7*24*time.Hour + time.Second)
	_, err = f.users.AcceptInvitation(ctx, md, link, "Correct-Horse-9")
	wantTokenError(t, err, user.CodeTokenExpired)

	// Revocation.
	if _, err := f.users.RevokeInvitation(ctx, md, late.ID, nil); err != nil {
		t.Fatalf("revoke an expired invitation: %v", err)
	}
	_, err = f.users.RevokeInvitation(ctx, md, late.ID, nil)
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("revoking twice: %v", err)
	}
}

func TestPasswordResetFlow(t *testing.T) {
	ctx := context.Background()
	f := newLinkFixture(t)
	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "reset@example.com", Password: "Old-Password-1"})
	if err != nil {
		t.Fatal(err)
	}

	sent, err := f.users.ForgotPassword(ctx, md, "nobody@example.com")
	if err != nil || sent {
		t.Fatalf("forgot for an unknown address: %v %v", sent, err)
	}
	sent, err = f.users.ForgotPassword(ctx, md, "not an address")
	if err != nil || sent {
		t.Fatalf("forgot for a malformed address: %v %v", sent, err)
	}
	sent, err = f.users.ForgotPassword(ctx, md, " RESET@example.com ")
	if err != nil || !sent {
		t.Fatalf("forgot: %v %v", sent, err)
	}
	link := f.lastLink(t, res.ID, user.TypeResetRequested, user.PurposeReset)

	forged := []byte(link)
	forged[10] ^= 1
	_, err = f.users.CompletePasswordReset(ctx, md, string(forged), "New-Password-2")
	wantTokenError(t, err, user.CodeTokenInvalid)

	if _, err := f.users.CompletePasswordReset(ctx, md, link, "New-Password-2"); err != nil {
		t.Fatal(err)
	}
	_, err = f.users.CompletePasswordReset(ctx, md, link, "New-Password-3")
	wantTokenError(t, err, user.CodeTokenUsed)
	u, _, _ := f.users.Load(ctx, res.ID)
	if ok, _ := password.NewHasher(password.OWASP, 1).Verify(ctx, "New-Password-2", u.PasswordHash()); !ok {
		t.Fatal("the new password does not verify")
	}

	// An admin's reset link expires after an hour.
	if _, err := f.users.SendPasswordReset(ctx, md, res.ID); err != nil {
		t.Fatal(err)
	}
	link = f.lastLink(t, res.ID, user.TypeResetRequested, user.PurposeReset)
	f.clock.Advance(time.Hour)
	_, err = f.users.CompletePasswordReset(ctx, md, link, "New-Password-4")
	wantTokenError(t, err, user.CodeTokenExpired)

	// No link for a suspended user, and no error that says so.
	if _, err := f.users.Suspend(ctx, md, res.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	before := len(f.events(t, user.Stream(res.ID)))
	sent, err = f.users.ForgotPassword(ctx, md, "reset@example.com")
	if err != nil || sent || len(f.events(t, user.Stream(res.ID))) != before {
		t.Fatalf("forgot for a suspended user: %v %v", sent, err)
	}
}

func TestSignUpVerification(t *testing.T) {
	ctx := context.Background()
	f := newLinkFixture(t)
	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "self@example.com", SignUp: true, VerifyEmail: true,
		Attributes: map[string]string{"company": "ACME"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ := f.users.Load(ctx, res.ID)
	if u.Status() != user.StatusUnverified || u.Attributes()["company"] != "ACME" {
		t.Fatalf("signed up: %q %v", u.Status(), u.Attributes())
	}
	sent, err := f.users.ResendVerification(ctx, md, "self@example.com")
	if err != nil || !sent {
		t.Fatalf("resend: %v %v", sent, err)
	}
	link := f.lastLink(t, res.ID, user.TypeVerificationSent, user.PurposeVerification)
	if _, err := f.users.VerifyEmail(ctx, md, link, "short"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("verify with a too short password: %v", err)
	}
	if _, err := f.users.VerifyEmail(ctx, md, link, "Sign-Me-Up-1"); err != nil {
		t.Fatal(err)
	}
	u, _, _ = f.users.Load(ctx, res.ID)
	if u.Status() != user.StatusActive || u.PasswordHash() == "" {
		t.Fatalf("verified: %q", u.Status())
	}
	_, err = f.users.VerifyEmail(ctx, md, link, "Sign-Me-Up-1")
	wantTokenError(t, err, user.CodeTokenUsed)
	if sent, _ := f.users.ResendVerification(ctx, md, "self@example.com"); sent {
		t.Fatal("a verified user got another verification link")
	}
}
