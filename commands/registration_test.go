package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/registration"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

func newRegistrations(t *testing.T) (*commands.Registrations, *embedded.Store) {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	regs, err := commands.NewRegistrations(commands.RegistrationsConfig{Store: store, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return regs, store
}

func TestNewRegistrationsNeedsAStore(t *testing.T) {
	if _, err := commands.NewRegistrations(commands.RegistrationsConfig{}); err == nil {
		t.Fatal("built without an event store")
	}
}

func TestSetRegistrationSettings(t *testing.T) {
	ctx := context.Background()
	regs, store := newRegistrations(t)
	lastPosition := func() eventstore.Position {
		t.Helper()
		pos, err := store.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return pos
	}
	if s, rev, err := regs.Settings(ctx); err != nil || !s.Equal(registration.Default()) || rev != eventstore.NoRevision {
		t.Fatalf("initial settings %+v rev %d, %v", s, rev, err)
	}

	// Invalid: every broken rule is named, nothing is written.
	before := lastPosition()
	_, err := regs.SetSettings(ctx, md, nil, registration.Settings{
		RequireVerification: true,
		DefaultRoles:        []string{"Admin"},
		DomainRules:         []registration.DomainRule{{Domain: "localhost"}},
		Fields:              []registration.Field{{Key: "company", Label: "Company", Type: "text"}},
	})
	want := []string{"default_roles[0]:invalid", "domain_rules[0].domain:invalid", "fields[0].type:invalid"}
	if got := domaintest.ErrorFields(err); !errors.Is(err, domain.ErrInvalid) || !slices.Equal(got, want) {
		t.Fatalf("invalid settings: %v, fields %q, want %q", err, got, want)
	}
	// Setting the default when never set changes nothing.
	if res, err := regs.SetSettings(ctx, md, nil, registration.Default()); err != nil || res.Appended {
		t.Fatalf("set default: %+v, %v", res, err)
	}
	if after := lastPosition(); after != before {
		t.Fatalf("log moved from %v to %v without a change", before, after)
	}

	// Set: the settings are stored normalized, with the caller's metadata.
	open := registration.Settings{
		Enabled: true, RequireVerification: true, DefaultRoles: []string{"member"},
		DomainRules: []registration.DomainRule{{Domain: " @Example.com", OrgID: "acme", Roles: []string{"member", "author"}}},
		Fields:      []registration.Field{{Key: "company", Label: "Company", Type: registration.TypeString, Required: true}},
	}
	normalized := open.Clone()
	normalized.DomainRules[0].Domain = "example.com"
	normalized.DomainRules[0].Roles = []string{"author", "member"}
	res, err := regs.SetSettings(ctx, md, nil, open)
	if err != nil || !res.Appended || res.Revision != 0 || res.Position == eventstore.StartPosition {
		t.Fatalf("set: %+v, %v", res, err)
	}
	if s, rev, _ := regs.Settings(ctx); !s.Equal(normalized) || rev != 0 {
		t.Fatalf("settings %+v rev %d, want %+v at 0", s, rev, normalized)
	}
	recs, err := store.ReadStream(ctx, registration.Stream, eventstore.ReadStreamOptions{})
	if err != nil || len(recs) != 1 || recs[0].Type != registration.TypeSettingsChanged {
		t.Fatalf("stream: %d records, %v", len(recs), err)
	}
	if got, err := commands.DecodeMetadata(recs[0].Metadata); err != nil || got.ActorID != md.ActorID || got.CorrelationID != md.CorrelationID {
		t.Fatalf("metadata %+v, %v", got, err)
	}

	// If-Match: a stale revision fails and writes nothing; the current one
	// succeeds.
	stale := uint64(7)
	if _, err := regs.SetSettings(ctx, md, &stale, registration.Default()); !errors.Is(err, domain.ErrPreconditionFailed) {
		t.Fatalf("stale If-Match: %v", err)
	}
	current := uint64(0)
	if res, err := regs.SetSettings(ctx, md, &current, open); err != nil || res.Appended || res.Revision != 0 {
		t.Fatalf("unchanged with If-Match: %+v, %v", res, err)
	}
	closed := normalized.Clone()
	closed.Enabled = false
	if res, err := regs.SetSettings(ctx, md, &current, closed); err != nil || !res.Appended || res.Revision != 1 {
		t.Fatalf("change with If-Match: %+v, %v", res, err)
	}
	if _, err := regs.SetSettings(ctx, md, &current, open); !errors.Is(err, domain.ErrPreconditionFailed) {
		t.Fatalf("If-Match of the revision before: %v", err)
	}
	if s, rev, _ := regs.Settings(ctx); !s.Equal(closed) || rev != 1 {
		t.Fatalf("settings %+v rev %d, want the closed ones at 1", s, rev)
	}
}

// TestSetRegistrationSettingsRace: writers that all pinned the same
// revision race; exactly one wins and the rest get 412. Writers without
// If-Match all get through by retrying.
func TestSetRegistrationSettingsRace(t *testing.T) {
	ctx := context.Background()
	regs, _ := newRegistrations(t)
	if _, err := regs.SetSettings(ctx, md, nil, registration.Settings{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	settingsFor := func(i int) registration.Settings {
		return registration.Settings{Enabled: true, DefaultRoles: []string{"member"}, DefaultOrgID: "org-" + string(rune('a'+i))}
	}

	var wins, refused int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rev := uint64(0)
			_, err := regs.SetSettings(ctx, md, &rev, settingsFor(i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, domain.ErrPreconditionFailed):
				refused++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || refused != n-1 {
		t.Fatalf("%d won and %d were refused, want 1 and %d", wins, refused, n-1)
	}

	for i := range n {
		wg.Go(func() {
			if _, err := regs.SetSettings(ctx, md, nil, settingsFor(n+i)); err != nil {
				t.Errorf("writer %d without If-Match: %v", i, err)
			}
		})
	}
	wg.Wait()
	if _, rev, err := regs.Settings(ctx); err != nil || rev != 1+n {
		t.Fatalf("revision %d, %v; want %d", rev, err, 1+n)
	}
}
