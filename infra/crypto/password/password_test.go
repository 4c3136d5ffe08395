package password_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	// salt: 16 bytes; key: 16 bytes unless the case says otherwise.
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "aGFzaGhhc2hoYXNoaGFzaA"
	for _, bad := range []string{
		"$2a$10$bcrypt",
		"$argon2id$v=18$m=1024,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=17,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=2,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=2,p=17$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=7,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=2,p=1junk$" + salt + "$" + key,
		"$argon2id$v=19junk$m=1024,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=2,p=1$" + salt + "$",
		"$argon2id$v=19$m=1024,t=2,p=1$" + salt + "$aA",
		"$argon2id$v=19$m=1024,t=2,p=1$c2FsdA$" + key,
	} {
		if _, err := h.Verify(ctx, "x", bad); !errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("Verify against %q: err = %v, want ErrMalformedHash", bad, err)
		}
	}
	// The same shape within bounds is a hash like any other: wrong, not malformed.
	if ok, err := h.Verify(ctx, "x", "$argon2id$v=19$m=1024,t=2,p=1$"+salt+"$"+key); ok || err != nil {
		t.Errorf("Verify against a well-formed hash of another password: %v, %v; want false, nil", ok, err)
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

// TestParallelChecksKeepTheirWorkAreas runs many checks at once through
// two slots: a work area shared by two derivations would corrupt both, so
// every answer must still be right.
func TestParallelChecksKeepTheirWorkAreas(t *testing.T) {
	ctx := context.Background()
	params := password.OWASP
	params.Memory = 2 * 1024
	h := password.NewHasher(params, 2)
	pws := []string{"first secret", "second secret", "third secret"}
	hashes := make([]string, len(pws))
	for i, pw := range pws {
		var err error
		if hashes[i], err = h.Hash(ctx, pw); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 12 {
				pw, hash := pws[(g+i)%len(pws)], hashes[(g+i)%len(pws)]
				candidate, want := pw, true
				if i%3 == 0 {
					candidate, want = pw+"!", false
				}
				if ok, err := h.Verify(ctx, candidate, hash); err != nil || ok != want {
					errs <- fmt.Sprintf("Verify(%q) = %v, %v; want %v", candidate, ok, err, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
