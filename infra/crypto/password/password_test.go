package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/infra/crypto/password"
)

func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(password.OWASP, 2)
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id at OWASP parameters", hash)
	}
	if strings.Contains(hash, "correct horse") {
		t.Fatal("hash contains the password")
	}
	again, _ := h.Hash(ctx, "correct horse battery staple")
	if again == hash {
		t.Fatal("two hashes of one password are equal: no random salt")
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapler", false},
		{"", false},
	}
	for _, tc := range tests {
		ok, err := h.Verify(ctx, tc.pw, hash)
		if err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	if _, err := h.Verify(ctx, "x", "$2a$10$bcrypt"); !errors.Is(err, password.ErrMalformedHash) {
		t.Errorf("Verify against a foreign hash: err = %v, want ErrMalformedHash", err)
	}
}
