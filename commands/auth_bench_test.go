package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

// The login figure: password logins through the command handler (email
// lookup, argon2id at the OWASP parameters, the race-free append to the
// auth stream, fsync) against the raw argon2id verification rate, both on
// all cores in the same run:
//
//	go test -run '^$' -bench 'Argon2Verify|PasswordLogin' -count 5 ./commands/
//
// Compare ns/op: PasswordLogin/Argon2Verify is the share of the raw rate.
func BenchmarkArgon2Verify(b *testing.B) {
	h := password.NewHasher(password.OWASP, 0)
	hash, err := h.Hash(context.Background(), "a long password")
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(context.Background(), "a long password", hash); !ok || err != nil {
				b.Fatalf("verify: %v %v", ok, err)
			}
		}
	})
}

func BenchmarkPasswordLogin(b *testing.B) {
	store, err := embedded.Open(filepath.Join(b.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	h := password.NewHasher(password.OWASP, 0)
	users, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: h})
	if err != nil {
		b.Fatal(err)
	}
	auth, err := commands.NewAuth(commands.AuthConfig{Store: store, Verifier: h})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// Logins spread over many accounts, as on a real service; the hashing
	// of these creates is not timed.
	const accounts = 32
	emails := make([]string, accounts)
	for i := range emails {
		emails[i] = fmt.Sprintf("bench-%d@example.com", i)
		if _, err := users.Create(ctx, commands.System("bench"), commands.CreateUser{Email: emails[i], Password: "a long password"}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(4) // more logins in flight than cores, as under load
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			email := emails[next.Add(1)%accounts]
			if _, err := auth.Login(ctx, commands.System("bench"), commands.LoginAttempt{Email: email, Password: "a long password"}); err != nil {
				b.Fatalf("login: %v", err)
			}
		}
	})
}
