package commands_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	store *embedded.Store
	users *commands.Users
	clock *clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	params := password.OWASP
	params.Memory = 1024 // fast tests; production uses OWASP
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	users, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: password.NewHasher(params, 4), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: store, users: users, clock: c}
}

var md = commands.Metadata{ActorID: "0b8e2f4e-0f3c-4a53-9d55-6d2bb1e0c001", ActorKind: commands.ActorUser, CorrelationID: "req-1", ClientIP: "192.0.2.7", UserAgent: "test"}

func (f *fixture) create(t *testing.T, email string) commands.Result {
	t.Helper()
	res, err := f.users.Create(context.Background(), md, commands.CreateUser{Email: email, FirstName: "Jane", LastName: "Doe", SendInvite: true})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return res
}

func (f *fixture) events(t *testing.T, stream string) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := f.store.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

func assertEmailTaken(t *testing.T, err error) {
	t.Helper()
	var ce *domain.ConflictError
	if !errors.As(err, &ce) || ce.Field != "email" {
		t.Fatalf("err = %v, want a conflict naming the email field", err)
	}
}

func TestCreateWritesEventsWithMetadataAndNoSecrets(t *testing.T) {
	f := newFixture(t)
	const pw = "s3cret-Passw0rd"
	res, err := f.users.Create(context.Background(), md, commands.CreateUser{Email: " Jane.Doe@ACME.example ", FirstName: "Jane", Password: pw, Roles: []string{"member"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Appended || res.Revision != 1 || res.Position == (eventstore.Position{}) {
		t.Fatalf("result %+v", res)
	}
	evs := f.events(t, user.Stream(res.ID))
	if len(evs) != 2 || evs[0].Type != user.TypeCreated || evs[1].Type != user.TypePasswordSet {
		t.Fatalf("events %v", evs)
	}
	for _, ev := range evs {
		if strings.Contains(string(ev.Data), pw) || strings.Contains(string(ev.Metadata), pw) {
			t.Fatal("the clear-text password reached an event")
		}
		m, err := commands.DecodeMetadata(ev.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if m.ActorID != md.ActorID || m.ActorKind != "user" || m.CorrelationID != "req-1" || m.ClientIP != "192.0.2.7" || m.SchemaVersion != 1 || m.Time.IsZero() {
			t.Fatalf("metadata %+v", m)
		}
	}
	if !strings.Contains(string(evs[0].Data), `"email":"Jane.Doe@acme.example"`) {
		t.Fatalf("email not normalized: %s", evs[0].Data)
	}
	if !strings.Contains(string(evs[1].Data), "$argon2id$") {
		t.Fatalf("password event holds no argon2id hash: %s", evs[1].Data)
	}
}

func TestCreateRejectsBadInputAndWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		cmd   commands.CreateUser
		field string
	}{
		{"missing email", commands.CreateUser{SendInvite: true}, "email"},
		{"invalid email", commands.CreateUser{Email: "not-an-email", SendInvite: true}, "email"},
		{"short password", commands.CreateUser{Email: "a@example.com", Password: "short"}, "password"},
		{"neither password nor invite", commands.CreateUser{Email: "a@example.com"}, "password"},
		{"bad role", commands.CreateUser{Email: "a@example.com", SendInvite: true, Roles: []string{"Not A Role"}}, "roles"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.users.Create(context.Background(), md, tc.cmd)
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
				t.Fatalf("err = %v, want a validation error on %s", err, tc.field)
			}
			if got, _ := f.store.ReadAll(context.Background(), eventstore.ReadAllOptions{}); len(got) != 0 {
				t.Fatalf("a rejected create wrote %d events", len(got))
			}
		})
	}
}

func TestEmailIsUniqueUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	const n = 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ok   []commands.Result
		errs []error
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@Example.COM" // the same mailbox, spelled otherwise
			}
			res, err := f.users.Create(context.Background(), md, commands.CreateUser{Email: email, SendInvite: true})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ok = append(ok, res)
		}()
	}
	wg.Wait()
	if len(ok) != 1 {
		t.Fatalf("%d of %d concurrent creates with one email succeeded, want exactly 1", len(ok), n)
	}
	for _, err := range errs {
		assertEmailTaken(t, err)
	}
	all, err := f.store.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, ev := range all {
		if ev.Type == user.TypeCreated {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d users created in the store, want 1", created)
	}
}

// TestStaleReservationRecovers: the service died after reserving an address
// but before creating the user. Within the grace period the address stays
// taken (that command might still be running); after it, a new create wins.
func TestStaleReservationRecovers(t *testing.T) {
	f := newFixture(t)
	ghost := uuid.New()
	stream := user.ReservationStream(user.EmailKey("crash@example.com"))
	payload := fmt.Sprintf(`{"user_id":%q,"at":%q}`, ghost, f.clock.Now().Format(time.RFC3339Nano))
	if _, err := f.store.Append(context.Background(), stream, eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: user.TypeEmailReserved, Data: []byte(payload)}); err != nil {
		t.Fatal(err)
	}

	_, err := f.users.Create(context.Background(), md, commands.CreateUser{Email: "crash@example.com", SendInvite: true})
	assertEmailTaken(t, err)

	f.clock.Advance(31 * time.Second)
	res := f.create(t, "crash@example.com")
	if evs := f.events(t, user.Stream(res.ID)); len(evs) == 0 {
		t.Fatal("user not created after the stale reservation")
	}
}

func TestEmailChangeAndDeleteReleaseTheAddress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "first@example.com")
	b := f.create(t, "second@example.com")

	taken := "second@example.com"
	_, err := f.users.Edit(ctx, md, a.ID, nil, user.Patch{Email: &taken})
	assertEmailTaken(t, err)

	moved := "moved@example.com"
	if _, err := f.users.Edit(ctx, md, a.ID, nil, user.Patch{Email: &moved}); err != nil {
		t.Fatalf("change email: %v", err)
	}
	f.create(t, "first@example.com") // the old address is free

	if _, err := f.users.Delete(ctx, md, b.ID, nil, user.Soft); err != nil {
		t.Fatalf("delete: %v", err)
	}
	f.create(t, "second@example.com") // a deleted user's address is free

	_, err = f.users.Create(ctx, md, commands.CreateUser{Email: "moved@example.com", SendInvite: true})
	assertEmailTaken(t, err)
}

func TestUpdateRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.create(t, "rules@example.com")

	if _, err := f.users.Suspend(ctx, md, u.ID, nil, "policy"); err != nil {
		t.Fatalf("suspend: %v", err)
	}
	_, err := f.users.Suspend(ctx, md, u.ID, nil, "again")
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("suspend twice: err = %v, want conflict", err)
	}

	stale := u.Revision
	_, err = f.users.Reactivate(ctx, md, u.ID, &stale)
	if !errors.Is(err, domain.ErrPreconditionFailed) {
		t.Fatalf("If-Match with a stale revision: err = %v, want precondition failed", err)
	}
	current := u.Revision + 1
	res, err := f.users.Reactivate(ctx, md, u.ID, &current)
	if err != nil || res.Revision != current+1 {
		t.Fatalf("reactivate at the current revision: %+v, %v", res, err)
	}

	same := "Jane"
	noop, err := f.users.Edit(ctx, md, u.ID, nil, user.Patch{FirstName: &same})
	if err != nil || noop.Appended || noop.Revision != res.Revision {
		t.Fatalf("edit that changes nothing: %+v, %v; want no append at revision %d", noop, err, res.Revision)
	}

	if _, err := f.users.Suspend(ctx, md, uuid.New(), nil, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("suspend an unknown user: err = %v, want not found", err)
	}
	if _, err := f.users.Suspend(ctx, md, uuid.New(), &stale, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("suspend an unknown user with If-Match: err = %v, want not found (not 412)", err)
	}
	if _, err := f.users.Delete(ctx, md, u.ID, nil, user.Anonymize); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := f.users.Reactivate(ctx, md, u.ID, nil); !errors.Is(err, user.ErrDeleted) {
		t.Fatalf("command on a deleted user: err = %v, want ErrDeleted", err)
	}
}

// TestConcurrentCommandsRetry: without If-Match, writers that lose the race
// re-load and decide again, so every note lands.
func TestConcurrentCommandsRetry(t *testing.T) {
	f := newFixture(t)
	u := f.create(t, "busy@example.com")
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.users.AddNote(context.Background(), md, u.ID, nil, fmt.Sprintf("note %d", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent note: %v", err)
		}
	}
	notes := 0
	for _, ev := range f.events(t, user.Stream(u.ID)) {
		if ev.Type == user.TypeNoteAdded {
			notes++
		}
	}
	if notes != n {
		t.Fatalf("%d notes stored, want %d", notes, n)
	}
}

// countingHasher counts the hashes it is asked for.
type countingHasher struct{ n int }

func (c *countingHasher) Hash(context.Context, string) (string, error) {
	c.n++
	return "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", nil
}

func (c *countingHasher) Verify(context.Context, string, string) (bool, error) {
	c.n++
	return false, nil
}

// TestInvalidCreateDoesNotHash: a request that fails on another field must
// not cost an argon2id hash.
func TestInvalidCreateDoesNotHash(t *testing.T) {
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := &countingHasher{}
	users, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: h})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Create(context.Background(), md, commands.CreateUser{Email: "not-an-email", Password: "long enough password"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
	if h.n != 0 {
		t.Fatalf("an invalid request was hashed %d times", h.n)
	}
	if _, err := users.Create(context.Background(), md, commands.CreateUser{Email: "ok@example.com", Password: "long enough password"}); err != nil || h.n != 1 {
		t.Fatalf("valid create: err %v, %d hashes", err, h.n)
	}
}
