// Package sealbox seals small secrets (such as TOTP secrets) with a server
// key, so that they can be stored in events and read models without being
// readable there.
//
// A sealed secret is AES-256-GCM ciphertext, encoded as standard base64 of
// version byte || 12-byte nonce || ciphertext and tag. The additional data
// given to Seal (such as the owner's user ID) is authenticated but not
// stored: Open succeeds only with the same additional data, so a sealed
// secret copied to another user does not open.
package sealbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

// version1 is the first byte of every sealed value of this format.
const version1 byte = 1

// ErrOpen is returned, wrapped, when a sealed value does not open: it is
// not of this format, was changed, was sealed with another key or with
// other additional data. The causes are not told apart, on purpose.
var ErrOpen = errors.New("sealbox: cannot open sealed value")

// Box seals and opens secrets with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a KeySize-byte key. The key is not retained beyond
// the cipher built from it.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to additionalData and returns it as
// base64. Every call uses a fresh random nonce, so sealing the same
// plaintext twice gives different results.
func (b *Box) Seal(plaintext, additionalData []byte) (string, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	nonce := out[1:]
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealbox: nonce: %w", err)
	}
	out = b.aead.Seal(out, nonce, plaintext, b.aad(additionalData))
	return base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same key and additional
// data. Any other value fails with an error matching ErrOpen.
func (b *Box) Open(sealed string, additionalData []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrOpen)
	}
	ns := b.aead.NonceSize()
	if len(raw) < 1+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrOpen)
	}
	if raw[0] != version1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrOpen, raw[0])
	}
	plain, err := b.aead.Open(nil, raw[1:1+ns], raw[1+ns:], b.aad(additionalData))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrOpen)
	}
	return plain, nil
}

// aad is the authenticated data of a sealed value: its version byte and
// the caller's additional data, so that the version cannot be changed
// either.
func (b *Box) aad(additionalData []byte) []byte {
	return append([]byte{version1}, additionalData...)
}
