// Package linktoken mints and opens the tokens that emailed links carry
// (invitation, password reset, email verification).
//
// A token is base64url(version | user ID | token ID | MAC), where the MAC is
// HMAC-SHA256 under a server key over the purpose, the user ID and the token
// ID. Nothing stores the token: the user's history keeps the token ID and
// the SHA-256 of the token (Hash), and the outbox that mails the link mints
// the same token again from the IDs. So no live credential is ever at rest
// (not in events, not in a mail queue), a forged or altered token is refused
// before any lookup, and a token for one purpose never opens another.
package linktoken

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ErrInvalid is returned by Open for a token that is malformed, forged or
// minted for another purpose.
var ErrInvalid = errors.New("linktoken: invalid token")

const (
	version  = 1
	macSize  = sha256.Size
	rawSize  = 1 + 16 + 16 + macSize
	maxInput = 200 // base64 of rawSize is 87 characters
)

// Minter mints and opens link tokens under one key. It is safe for
// concurrent use.
type Minter struct {
	key []byte
}

// New derives the MAC key from secret (at least 32 bytes, e.g. the
// service's secrets key) with HKDF, so the same secret can serve other
// purposes without the keys ever being equal.
func New(secret []byte) (*Minter, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("linktoken: secret has %d bytes, want at least 32", len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "clarynext usermgmt link tokens v1", 32)
	if err != nil {
		return nil, fmt.Errorf("linktoken: derive key: %w", err)
	}
	return &Minter{key: key}, nil
}

// Mint returns the token for the given purpose, user and token ID. The
// same inputs always give the same token.
func (m *Minter) Mint(purpose string, userID, tokenID uuid.UUID) string {
	raw := make([]byte, 0, rawSize)
	raw = append(raw, version)
	raw = append(raw, userID[:]...)
	raw = append(raw, tokenID[:]...)
	raw = append(raw, m.mac(purpose, userID, tokenID)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Open checks a token minted for purpose and returns the user and token
// IDs it names; anything else is ErrInvalid.
func (m *Minter) Open(purpose, token string) (userID, tokenID uuid.UUID, err error) {
	if len(token) > maxInput {
		return uuid.Nil, uuid.Nil, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != rawSize || raw[0] != version {
		return uuid.Nil, uuid.Nil, ErrInvalid
	}
	copy(userID[:], raw[1:17])
	copy(tokenID[:], raw[17:33])
	if !hmac.Equal(raw[33:], m.mac(purpose, userID, tokenID)) {
		return uuid.Nil, uuid.Nil, ErrInvalid
	}
	return userID, tokenID, nil
}

func (m *Minter) mac(purpose string, userID, tokenID uuid.UUID) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(userID[:])
	h.Write(tokenID[:])
	return h.Sum(nil)
}

// Hash is the form in which a token is stored: the hex SHA-256 of the
// token string.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
