package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

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

// TestCompatibleHashes checks that hashes cross between this package and
// github.com/alexedwards/argon2id (which hashed every stored password
// before infra/crypto/argon2), including one under stronger parameters
// than the Hasher's own.
func TestCompatibleHashes(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(password.OWASP, 1)
	stronger := password.OWASP
	stronger.Memory, stronger.Iterations = 32*1024, 3
	for _, params := range []*argon2id.Params{&password.OWASP, &stronger} {
		old, err := argon2id.CreateHash("tr0ub4dor&3", params)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			pw   string
			want bool
		}{{"tr0ub4dor&3", true}, {"tr0ub4dor&4", false}} {
			if ok, err := h.Verify(ctx, tc.pw, old); err != nil || ok != tc.want {
				t.Errorf("Verify(%q) of a hash with m=%d: %v, %v; want %v", tc.pw, params.Memory, ok, err, tc.want)
			}
		}
	}
	hash, err := h.Hash(ctx, "tr0ub4dor&3")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := argon2id.ComparePasswordAndHash("tr0ub4dor&3", hash); err != nil || !ok {
		t.Errorf("alexedwards/argon2id rejects our hash %q: %v, %v", hash, ok, err)
	}
}
