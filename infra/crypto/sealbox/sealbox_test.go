package sealbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/clarynext/usermgmt/infra/crypto/sealbox"
)

func newBox(t *testing.T, fill byte) *sealbox.Box {
	t.Helper()
	b, err := sealbox.New(bytes.Repeat([]byte{fill}, sealbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewRefusesWrongKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := sealbox.New(make([]byte, n)); err == nil {
			t.Errorf("New with a %d-byte key: no error", n)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	b := newBox(t, 7)
	for _, tc := range []struct {
		name      string
		plaintext []byte
		ad        []byte
	}{
		{"secret with user ID", []byte("JBSWY3DPEHPK3PXP"), []byte("user-1")},
		{"empty plaintext", []byte{}, []byte("user-1")},
		{"no additional data", []byte("secret without binding"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := b.Seal(tc.plaintext, tc.ad)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base64.StdEncoding.DecodeString(sealed)
			if err != nil {
				t.Fatalf("sealed value is not base64: %v", err)
			}
			if raw[0] != 1 {
				t.Errorf("version byte = %d, want 1", raw[0])
			}
			if len(tc.plaintext) >= 8 && bytes.Contains(raw, tc.plaintext) {
				t.Error("sealed value holds the plaintext")
			}
			got, err := b.Open(sealed, tc.ad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("Open = %q, want %q", got, tc.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	b := newBox(t, 7)
	s1, _ := b.Seal([]byte("same"), []byte("u"))
	s2, _ := b.Seal([]byte("same"), []byte("u"))
	if s1 == s2 {
		t.Error("sealing the same plaintext twice gave the same value")
	}
}

func TestOpenRefuses(t *testing.T) {
	b := newBox(t, 7)
	sealed, err := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user-1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(sealed)
	flip := func(i int) string {
		c := bytes.Clone(raw)
		c[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(c)
	}
	for _, tc := range []struct {
		name   string
		box    *sealbox.Box
		sealed string
		ad     string
	}{
		{"other user's additional data", b, sealed, "user-2"},
		{"no additional data", b, sealed, ""},
		{"wrong key", newBox(t, 8), sealed, "user-1"},
		{"tampered version", b, flip(0), "user-1"},
		{"tampered nonce", b, flip(3), "user-1"},
		{"tampered ciphertext", b, flip(len(raw) - 20), "user-1"},
		{"tampered tag", b, flip(len(raw) - 1), "user-1"},
		{"truncated", b, base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), "user-1"},
		{"too short", b, base64.StdEncoding.EncodeToString(raw[:10]), "user-1"},
		{"not base64", b, "!!not base64!!", "user-1"},
		{"empty", b, "", "user-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.box.Open(tc.sealed, []byte(tc.ad))
			if !errors.Is(err, sealbox.ErrOpen) {
				t.Fatalf("Open error = %v, want ErrOpen", err)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	key, err := sealbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != sealbox.KeySize {
		t.Fatalf("key is %d bytes", len(key))
	}
	if bytes.Equal(key, make([]byte, sealbox.KeySize)) {
		t.Fatal("key is all zero")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %v, want 0600", mode)
	}
	again, err := sealbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, key) {
		t.Error("second load gave another key: the key must be created once")
	}
	// A value sealed with the key opens with the key loaded again.
	b1, _ := sealbox.New(key)
	b2, _ := sealbox.New(again)
	sealed, _ := b1.Seal([]byte("x"), nil)
	if _, err := b2.Open(sealed, nil); err != nil {
		t.Errorf("open with the reloaded key: %v", err)
	}
}

func TestLoadOrCreateKeyFileRefusesWrongSize(t *testing.T) {
	for _, n := range []int{0, 16, 33} {
		path := filepath.Join(t.TempDir(), "seal.key")
		content := bytes.Repeat([]byte{1}, n)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := sealbox.LoadOrCreateKeyFile(path); err == nil {
			t.Errorf("%d-byte key file: no error", n)
		}
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, content) {
			t.Errorf("%d-byte key file was rewritten", n)
		}
	}
}

func TestLoadOrCreateKeyFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "seal.key")
	if _, err := sealbox.LoadOrCreateKeyFile(path); err == nil {
		t.Error("no error for a key file in a missing directory")
	}
}
