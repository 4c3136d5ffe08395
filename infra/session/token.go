package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

const (
	tokenBytes = 32
	// tokenLen is the length of a token: 32 bytes in base64url without
	// padding.
	tokenLen = 43
	// idLen is the length of a Session.ID: a prefix of the hex token hash.
	idLen = 16
)

// newToken returns a fresh token and the hex SHA-256 under which it is
// stored.
func newToken() (token, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("session: random token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

// parseToken returns the hash of a well-formed token and false for anything
// that newToken cannot have produced.
func parseToken(token string) (hash string, ok bool) {
	if len(token) != tokenLen {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != tokenBytes {
		return "", false
	}
	return hashToken(token), true
}

// hashToken is the hex SHA-256 of the token text.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validID reports whether id looks like a Session.ID: 16 lower-case hex
// characters.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
