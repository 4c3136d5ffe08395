package linktoken_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
)

func newMinter(t *testing.T, b byte) *linktoken.Minter {
	t.Helper()
	m, err := linktoken.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMintAndOpen(t *testing.T) {
	m := newMinter(t, 1)
	userID, tokenID := uuid.New(), uuid.New()
	tok := m.Mint("invitation", userID, tokenID)
	if tok != m.Mint("invitation", userID, tokenID) {
		t.Fatal("minting is not deterministic")
	}
	gotUser, gotToken, err := m.Open("invitation", tok)
	if err != nil || gotUser != userID || gotToken != tokenID {
		t.Fatalf("Open = %s %s %v", gotUser, gotToken, err)
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not URL-safe", tok)
	}

	flip := []byte(tok)
	flip[len(flip)-5] ^= 1
	otherUser := m.Mint("invitation", uuid.New(), tokenID)
	tests := []struct {
		name, purpose, token string
		m                    *linktoken.Minter
	}{
		{"other purpose", "password_reset", tok, m},
		{"other key", "invitation", tok, newMinter(t, 2)},
		{"altered MAC", "invitation", string(flip), m},
		{"user ID swapped in", "invitation", otherUser[:23] + tok[23:], m},
		{"empty", "invitation", "", m},
		{"not base64", "invitation", "!!!", m},
		{"truncated", "invitation", tok[:40], m},
		{"oversized", "invitation", strings.Repeat("A", 1000), m},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := tt.m.Open(tt.purpose, tt.token); !errors.Is(err, linktoken.ErrInvalid) {
				t.Fatalf("Open = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestNewNeedsAStrongSecret(t *testing.T) {
	if _, err := linktoken.New(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte secret was accepted")
	}
}

func TestHash(t *testing.T) {
	h := linktoken.Hash("abc")
	if h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Hash = %s", h)
	}
}
