package commands_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestBootstrapOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, done, err := f.users.Bootstrapped(ctx); err != nil || done {
		t.Fatalf("fresh store: bootstrapped=%v, %v", done, err)
	}
	first, err := f.users.Bootstrap(ctx, commands.System("t"), "root@example.com", "a long password")
	if err != nil || !first.Created {
		t.Fatalf("first bootstrap: %+v, %v", first, err)
	}
	u, _, err := f.users.Load(ctx, first.UserID)
	if err != nil || !u.HasRole("system_admin") || u.Email() != "root@example.com" || u.PasswordHash() == "" {
		t.Fatalf("admin: %+v, %v", u, err)
	}
	for _, email := range []string{"root@example.com", "other@example.com"} {
		again, err := f.users.Bootstrap(ctx, commands.System("t"), email, "a long password")
		if err != nil || again.Created || again.UserID != first.UserID {
			t.Fatalf("bootstrap again with %s: %+v, %v", email, again, err)
		}
	}
	if evs := f.events(t, user.BootstrapStream); len(evs) != 1 {
		t.Fatalf("bootstrap stream has %d events", len(evs))
	}
}

// TestBootstrapRace: racing bootstraps agree on one admin.
func TestBootstrapRace(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]uuid.UUID, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.users.Bootstrap(context.Background(), commands.System("t"), "root@example.com", "a long password")
			ids[i], errs[i] = res.UserID, err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("bootstrap %d: %v, %v (first %v)", i, ids[i], errs[i], ids[0])
		}
	}
}

// TestBootstrapAdoptsAfterCrash: the admin was created but the bootstrap
// was not recorded; the next bootstrap records that admin.
func TestBootstrapAdoptsAfterCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.users.Create(ctx, md, commands.CreateUser{Email: "root@example.com", Roles: []string{"system_admin"}, Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.users.Bootstrap(ctx, commands.System("t"), "root@example.com", "a long password")
	if err != nil || got.UserID != res.ID || got.Created {
		t.Fatalf("bootstrap: %+v, %v", got, err)
	}
	// An ordinary user's address is not adopted.
	f2 := newFixture(t)
	if _, err := f2.users.Create(ctx, md, commands.CreateUser{Email: "root@example.com", SendInvite: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f2.users.Bootstrap(ctx, commands.System("t"), "root@example.com", "a long password"); err == nil {
		t.Fatal("bootstrap adopted a user who is not a System Admin")
	}
}
