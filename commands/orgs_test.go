package commands_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

// fakeRoleLookup knows the role keys in its map.
type fakeRoleLookup struct {
	keys map[string]bool
	err  error
}

func (f fakeRoleLookup) Lookup(_ context.Context, key string) (role.Definition, bool, error) {
	if f.err != nil {
		return role.Definition{}, false, f.err
	}
	if !f.keys[key] {
		return role.Definition{}, false, nil
	}
	return role.Definition{Key: key, Name: key}, true, nil
}

var knownRoles = fakeRoleLookup{keys: map[string]bool{"member": true, "author": true, "org_admin": true, "lead": true}}

// orgFixture has organization and user handlers on one embedded store, the
// user handlers checking organizations and role keys.
type orgFixture struct {
	store *embedded.Store
	orgs  *commands.Orgs
	users *commands.Users
	clock *clock
}

func newOrgFixture(t *testing.T, newID func() uuid.UUID) *orgFixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	orgs, err := commands.NewOrgs(commands.OrgsConfig{Store: store, Now: c.Now, NewID: newID})
	if err != nil {
		t.Fatal(err)
	}
	params := password.OWASP
	params.Memory = 1024
	users, err := commands.NewUsers(commands.UsersConfig{
		Store: store, Hasher: password.NewHasher(params, 4), Now: c.Now,
		Roles: knownRoles, CheckOrgs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &orgFixture{store: store, orgs: orgs, users: users, clock: c}
}

func (f *orgFixture) createOrg(t *testing.T, id, name string) commands.OrgResult {
	t.Helper()
	res, err := f.orgs.Create(context.Background(), md, id, name)
	if err != nil {
		t.Fatalf("create organization %q: %v", id, err)
	}
	return res
}

func (f *orgFixture) createTeam(t *testing.T, orgID, name string) uuid.UUID {
	t.Helper()
	res, err := f.orgs.CreateTeam(context.Background(), md, orgID, name)
	if err != nil {
		t.Fatalf("create team %q: %v", name, err)
	}
	return res.TeamID
}

func (f *orgFixture) types(t *testing.T, stream string) []string {
	t.Helper()
	evs, err := f.store.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// errFields returns "field:code" for each field of a validation or
// conflict error.
var errFields = domaintest.ErrorFields

func ptrU64(v uint64) *uint64 { return &v }

func TestCreateOrg(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		given      []string // existing organization IDs
		id, orgNm  string
		wantErr    error
		wantFields []string
		wantID     string // "" means generated
	}{
		{name: "given ID, trimmed", id: " acme ", orgNm: "Acme", wantID: "acme"},
		{name: "generated ID", id: "", orgNm: "Acme"},
		{name: "existing ID", given: []string{"acme"}, id: "acme", orgNm: "Acme 2", wantErr: domain.ErrConflict, wantFields: []string{"id:already_exists"}},
		{name: "invalid ID and name", id: "acme/1", orgNm: "", wantErr: domain.ErrInvalid, wantFields: []string{"id:invalid", "name:required"}},
		{name: "name too long", id: "acme", orgNm: strings.Repeat("n", org.MaxNameLength+1), wantErr: domain.ErrInvalid, wantFields: []string{"name:too_long"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newOrgFixture(t, nil)
			for _, id := range tc.given {
				f.createOrg(t, id, "existing")
			}
			res, err := f.orgs.Create(ctx, md, tc.id, tc.orgNm)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !reflect.DeepEqual(errFields(err), tc.wantFields) {
					t.Fatalf("err = %v (fields %q), want %v %q", err, errFields(err), tc.wantErr, tc.wantFields)
				}
				if len(tc.given) == 0 {
					if types := f.types(t, org.Stream(strings.TrimSpace(tc.id))); types != nil {
						t.Fatalf("events written: %q", types)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantID != "" && res.ID != tc.wantID {
				t.Fatalf("ID = %q, want %q", res.ID, tc.wantID)
			}
			if tc.wantID == "" && (!strings.HasPrefix(res.ID, "org-") || len(res.ID) != len("org-")+13 || org.ValidateID(res.ID) != nil) {
				t.Fatalf("generated ID %q", res.ID)
			}
			if !res.Appended || res.Revision != 0 || res.Result.ID != uuid.Nil {
				t.Fatalf("result %+v", res)
			}
			o, rev, err := f.orgs.Load(ctx, res.ID)
			if err != nil || rev != 0 || o.Name() != tc.orgNm || o.ID() != res.ID {
				t.Fatalf("Load = %+v, %d, %v", o, rev, err)
			}
		})
	}
}

// TestGeneratedOrgIDsRetryOnCollision: a generated ID that is taken is
// replaced by a fresh one instead of failing the command.
func TestGeneratedOrgIDsRetryOnCollision(t *testing.T) {
	same := uuid.MustParse("11111111-2222-4333-8444-555555555555")
	ids := []uuid.UUID{same, same, uuid.MustParse("99999999-2222-4333-8444-555555555555")}
	var mu sync.Mutex
	next := func() uuid.UUID {
		mu.Lock()
		defer mu.Unlock()
		id := ids[0]
		if len(ids) > 1 {
			ids = ids[1:]
		}
		return id
	}
	f := newOrgFixture(t, next)
	a := f.createOrg(t, "", "First")
	b := f.createOrg(t, "", "Second")
	if a.ID == b.ID {
		t.Fatalf("both organizations got %q", a.ID)
	}
}

func TestOrgCommands(t *testing.T) {
	ctx := context.Background()
	type setup struct {
		f    *orgFixture
		team uuid.UUID // "Ops" in "acme"
	}
	tests := []struct {
		name       string
		run        func(s setup) (commands.Result, error)
		wantErr    error
		wantFields []string
		wantTypes  []string // event types of org-acme after the command
	}{
		{
			name: "rename",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.Rename(ctx, md, "acme", ptrU64(1), "Acme Inc")
				return r.Result, err
			},
			wantTypes: []string{org.TypeCreated, org.TypeTeamCreated, org.TypeRenamed},
		},
		{
			name: "rename with a stale If-Match",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.Rename(ctx, md, "acme", ptrU64(0), "Acme Inc")
				return r.Result, err
			},
			wantErr: domain.ErrPreconditionFailed,
		},
		{
			name: "rename unknown organization",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.Rename(ctx, md, "globex", nil, "Globex")
				return r.Result, err
			},
			wantErr: org.ErrNoOrg,
		},
		{
			name: "rename with an invalid ID names no stream",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.Rename(ctx, md, "acme/../x", nil, "X")
				return r.Result, err
			},
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"id:invalid"},
		},
		{
			name: "archive",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.Archive(ctx, md, "acme", nil)
				return r.Result, err
			},
			wantTypes: []string{org.TypeCreated, org.TypeTeamCreated, org.TypeArchived},
		},
		{
			name: "create team",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.CreateTeam(ctx, md, "acme", "Dev")
				if err == nil && r.TeamID == uuid.Nil {
					err = errors.New("no team ID")
				}
				return r.Result, err
			},
			wantTypes: []string{org.TypeCreated, org.TypeTeamCreated, org.TypeTeamCreated},
		},
		{
			name: "create team with a taken name",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.CreateTeam(ctx, md, "acme", "OPS")
				return r.Result, err
			},
			wantErr:    domain.ErrConflict,
			wantFields: []string{"name:name_taken"},
		},
		{
			name: "rename team",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.RenameTeam(ctx, md, "acme", s.team, "Operations")
				return r.Result, err
			},
			wantTypes: []string{org.TypeCreated, org.TypeTeamCreated, org.TypeTeamRenamed},
		},
		{
			name: "rename unknown team",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.RenameTeam(ctx, md, "acme", uuid.New(), "Operations")
				return r.Result, err
			},
			wantErr: org.ErrNoTeam,
		},
		{
			name: "delete team",
			run: func(s setup) (commands.Result, error) {
				r, err := s.f.orgs.DeleteTeam(ctx, md, "acme", s.team)
				return r.Result, err
			},
			wantTypes: []string{org.TypeCreated, org.TypeTeamCreated, org.TypeTeamDeleted},
		},
		{
			name: "team change in an archived organization",
			run: func(s setup) (commands.Result, error) {
				if _, err := s.f.orgs.Archive(ctx, md, "acme", nil); err != nil {
					return commands.Result{}, err
				}
				r, err := s.f.orgs.CreateTeam(ctx, md, "acme", "Dev")
				return r.Result, err
			},
			wantErr: org.ErrArchived,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newOrgFixture(t, nil)
			f.createOrg(t, "acme", "Acme")
			s := setup{f: f, team: f.createTeam(t, "acme", "Ops")}
			res, err := tc.run(s)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if tc.wantFields != nil && !reflect.DeepEqual(errFields(err), tc.wantFields) {
					t.Fatalf("fields %q, want %q", errFields(err), tc.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.Appended || res.Revision != 2 || res.Position == (eventstore.Position{}) {
				t.Fatalf("result %+v", res)
			}
			if got := f.types(t, org.Stream("acme")); !reflect.DeepEqual(got, tc.wantTypes) {
				t.Fatalf("events %q, want %q", got, tc.wantTypes)
			}
		})
	}
}

func TestOrgCommandThatChangesNothing(t *testing.T) {
	f := newOrgFixture(t, nil)
	f.createOrg(t, "acme", "Acme")
	res, err := f.orgs.Rename(context.Background(), md, "acme", ptrU64(0), " Acme ")
	if err != nil || res.Appended || res.Revision != 0 || res.ID != "acme" {
		t.Fatalf("rename to the same name: %+v, %v", res, err)
	}
}

func TestLoadOrg(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t, nil)
	f.createOrg(t, "acme", "Acme")
	ops := f.createTeam(t, "acme", "Ops")
	o, rev, err := f.orgs.Load(ctx, "acme")
	if err != nil || rev != 1 || !reflect.DeepEqual(o.Teams(), []org.Team{{ID: ops, Name: "Ops"}}) {
		t.Fatalf("Load = %+v, %d, %v", o, rev, err)
	}
	for _, id := range []string{"globex", "no such/org", ""} {
		if _, _, err := f.orgs.Load(ctx, id); !errors.Is(err, org.ErrNoOrg) {
			t.Errorf("Load(%q): err = %v, want ErrNoOrg", id, err)
		}
	}
}

// TestCreateOrgRace: of many concurrent creations of one ID exactly one
// wins; the others get the conflict on "id".
func TestCreateOrgRace(t *testing.T) {
	f := newOrgFixture(t, nil)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.orgs.Create(context.Background(), md, "acme", fmt.Sprintf("Acme %d", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	wins := 0
	for err := range errs {
		switch {
		case err == nil:
			wins++
		case !reflect.DeepEqual(errFields(err), []string{"id:already_exists"}):
			t.Errorf("loser: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creations won, want 1", wins)
	}
}

// TestConcurrentTeamCommandsRetry: team creations racing on one
// organization stream all land (distinct names) or exactly one lands (same
// name).
func TestConcurrentTeamCommandsRetry(t *testing.T) {
	for _, sameName := range []bool{false, true} {
		t.Run(fmt.Sprintf("same name %v", sameName), func(t *testing.T) {
			f := newOrgFixture(t, nil)
			f.createOrg(t, "acme", "Acme")
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := fmt.Sprintf("Team %d", i)
					if sameName {
						name = "Team"
					}
					_, err := f.orgs.CreateTeam(context.Background(), md, "acme", name)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil && (!sameName || !errors.Is(err, domain.ErrConflict)) {
					t.Fatalf("create team: %v", err)
				}
			}
			o, _, err := f.orgs.Load(context.Background(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			want := n
			if sameName {
				want = 1
			}
			if got := len(o.Teams()); got != want {
				t.Fatalf("%d teams, want %d", got, want)
			}
		})
	}
}
