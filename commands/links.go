package commands

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
)

// LinkTokens mints and opens the tokens of emailed links
// (*linktoken.Minter is one). Open fails for a malformed or forged token,
// or one minted for another purpose.
type LinkTokens interface {
	Mint(purpose string, userID, tokenID uuid.UUID) string
	Open(purpose, token string) (userID, tokenID uuid.UUID, err error)
}

// LinkTTLs say how long each kind of link works.
type LinkTTLs struct {
	// Invitation defaults to 7 days, Reset to 1 hour (OWASP's forgot
	// password guidance: short-lived), Verification to 24 hours.
	Invitation, Reset, Verification time.Duration
}

func (t *LinkTTLs) setDefaults() {
	if t.Invitation <= 0 {
		t.Invitation = 7 * 24 * time.Hour
	}
	if t.Reset <= 0 {
		t.Reset = time.Hour
	}
	if t.Verification <= 0 {
		t.Verification = 24 * time.Hour
	}
}

func (t LinkTTLs) of(p user.Purpose) time.Duration {
	switch p {
	case user.PurposeInvitation:
		return t.Invitation
	case user.PurposeReset:
		return t.Reset
	}
	return t.Verification
}

// randomLinkTokens is the minter of a UsersConfig without Links.
func randomLinkTokens() (LinkTokens, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("link tokens: %w", err)
	}
	return linktoken.New(secret)
}

// newLink mints a link token of purpose p for the user and returns the
// form the user's history keeps: the token ID, the token's hash and its
// expiry. The token itself is not kept; the outbox mints it again.
func (h *Users) newLink(p user.Purpose, userID uuid.UUID, now time.Time) user.Token {
	id := h.newID()
	return user.Token{
		ID:        id,
		Hash:      linktoken.Hash(h.links.Mint(string(p), userID, id)),
		ExpiresAt: now.Add(h.linkTTLs.of(p)),
	}
}

// errBadLink is the answer for a token that does not open: malformed,
// forged or minted for another purpose.
var errBadLink = domain.Invalid("token", user.CodeTokenInvalid, "the link is not valid")

// presentedLink is a token a user brought back, opened.
type presentedLink struct {
	userID, tokenID uuid.UUID
	hash            string
}

// openLink opens a presented token of purpose p; a token that does not
// open is errBadLink, before any lookup.
func (h *Users) openLink(p user.Purpose, token string) (presentedLink, error) {
	userID, tokenID, err := h.links.Open(string(p), token)
	if err != nil {
		return presentedLink{}, errBadLink
	}
	return presentedLink{userID: userID, tokenID: tokenID, hash: linktoken.Hash(token)}, nil
}
