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
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

var (
	rolesNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rolesMD  = commands.Metadata{ActorID: "0b8e2f4e-0f3c-4a53-9d55-6d2bb1e0c001", ActorKind: commands.ActorUser, CorrelationID: "req-roles"}
)

// spyStore records the streams the handlers touch and can run a hook
// before an append, to stage a concurrent write at a chosen moment.
type spyStore struct {
	commands.EventStore
	mu           sync.Mutex
	streams      []string
	beforeAppend func(stream string)
}

func (s *spyStore) touch(stream string) func(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams = append(s.streams, stream)
	hook := s.beforeAppend
	s.beforeAppend = nil // run once
	return hook
}

func (s *spyStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if hook := s.touch(stream); hook != nil {
		hook(stream)
	}
	return s.EventStore.Append(ctx, stream, expected, events...)
}

func (s *spyStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	s.streams = append(s.streams, stream)
	s.mu.Unlock()
	return s.EventStore.ReadStream(ctx, stream, opts)
}

func (s *spyStore) touched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.streams...)
}

type rolesFixture struct {
	store *embedded.Store
	spy   *spyStore
	roles *commands.Roles
}

func newRolesFixture(t *testing.T) *rolesFixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	spy := &spyStore{EventStore: store}
	roles, err := commands.NewRoles(commands.RolesConfig{Store: spy, Now: func() time.Time { return rolesNow }})
	if err != nil {
		t.Fatal(err)
	}
	return &rolesFixture{store: store, spy: spy, roles: roles}
}

// create defines the custom role "auditor" (revision 0).
func (f *rolesFixture) create(t *testing.T, key string) commands.RoleResult {
	t.Helper()
	res, err := f.roles.Create(context.Background(), rolesMD, key, "Auditor", "Reads the audit log", []role.Permission{role.ReadAudit})
	if err != nil {
		t.Fatalf("create role %s: %v", key, err)
	}
	return res
}

func (f *rolesFixture) types(t *testing.T, key string) []string {
	t.Helper()
	evs, err := f.store.ReadStream(context.Background(), role.Stream(key), eventstore.ReadStreamOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// wantConflict fails unless err is a *domain.ConflictError on field with code.
func wantConflict(t *testing.T, err error, field, code string) {
	t.Helper()
	var ce *domain.ConflictError
	if !errors.As(err, &ce) || ce.Field != field || ce.Code != code {
		t.Fatalf("err = %v, want a conflict on %q with code %q", err, field, code)
	}
}

// wantInvalid fails unless err is a *domain.ValidationError on field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != field {
		t.Fatalf("err = %v, want a validation error on %q", err, field)
	}
}

func TestCreateRole(t *testing.T) {
	audit := []role.Permission{role.ReadAudit}
	tests := []struct {
		name   string
		given  func(t *testing.T, f *rolesFixture)
		key    string
		rname  string
		perms  []role.Permission
		check  func(t *testing.T, err error)
		stored []string // event types in role-{key} afterwards
	}{
		{name: "new key", key: "auditor", rname: "Auditor", perms: audit, check: func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}, stored: []string{role.TypeCreated}},
		{name: "existing key", given: func(t *testing.T, f *rolesFixture) { f.create(t, "auditor") }, key: "auditor", rname: "Other", perms: audit,
			check: func(t *testing.T, err error) { wantConflict(t, err, "key", "role_exists") }, stored: []string{role.TypeCreated}},
		{name: "deleted key is never reused", given: func(t *testing.T, f *rolesFixture) {
			f.create(t, "auditor")
			if _, err := f.roles.Delete(context.Background(), rolesMD, "auditor", nil); err != nil {
				t.Fatal(err)
			}
		}, key: "auditor", rname: "Auditor", perms: audit,
			check: func(t *testing.T, err error) { wantConflict(t, err, "key", "role_exists") }, stored: []string{role.TypeCreated, role.TypeDeleted}},
		{name: "built-in key", key: role.OrgAdmin, rname: "Org Admin", perms: audit,
			check: func(t *testing.T, err error) { wantConflict(t, err, "key", "built_in") }},
		{name: "missing name", key: "auditor", rname: " ", perms: audit,
			check: func(t *testing.T, err error) { wantInvalid(t, err, "name") }},
		{name: "unknown permission", key: "auditor", rname: "Auditor", perms: []role.Permission{"users:destroy"},
			check: func(t *testing.T, err error) { wantInvalid(t, err, "permissions") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRolesFixture(t)
			if tc.given != nil {
				tc.given(t, f)
			}
			res, err := f.roles.Create(context.Background(), rolesMD, tc.key, tc.rname, "", tc.perms)
			tc.check(t, err)
			if err == nil {
				if res.Key != tc.key || res.ID != uuid.Nil || !res.Appended || res.Revision != 0 || res.Position == (eventstore.Position{}) {
					t.Fatalf("result %+v", res)
				}
			}
			if got := f.types(t, tc.key); !reflect.DeepEqual(got, tc.stored) {
				t.Fatalf("stored events %v, want %v", got, tc.stored)
			}
		})
	}
}

// TestInvalidRoleKeyTouchesNoStream: a key that is not a slug is rejected
// before any stream name is built from it.
func TestInvalidRoleKeyTouchesNoStream(t *testing.T) {
	ctx := context.Background()
	rev := uint64(0)
	commandsOn := map[string]func(f *rolesFixture, key string) error{
		"create": func(f *rolesFixture, key string) error {
			_, err := f.roles.Create(ctx, rolesMD, key, "X", "", []role.Permission{role.ReadAudit})
			return err
		},
		"rename": func(f *rolesFixture, key string) error {
			_, err := f.roles.Rename(ctx, rolesMD, key, nil, "X")
			return err
		},
		"describe": func(f *rolesFixture, key string) error {
			_, err := f.roles.Describe(ctx, rolesMD, key, nil, "X")
			return err
		},
		"change permissions": func(f *rolesFixture, key string) error {
			_, err := f.roles.ChangePermissions(ctx, rolesMD, key, nil, []role.Permission{role.ReadAudit})
			return err
		},
		"delete": func(f *rolesFixture, key string) error {
			_, err := f.roles.Delete(ctx, rolesMD, key, &rev)
			return err
		},
	}
	for name, run := range commandsOn {
		for _, key := range []string{"", "Auditor", "a/b", "x-../../user-1", "a b", strings.Repeat("a", 65)} {
			t.Run(fmt.Sprintf("%s %q", name, key), func(t *testing.T) {
				f := newRolesFixture(t)
				wantInvalid(t, run(f, key), "key")
				if got := f.spy.touched(); len(got) != 0 {
					t.Fatalf("an invalid key reached the store as %v", got)
				}
			})
		}
	}
}

func TestChangeRole(t *testing.T) {
	ctx := context.Background()
	stale, current := uint64(7), uint64(0)
	type call func(r *commands.Roles, key string, ifMatch *uint64) (commands.RoleResult, error)
	rename := func(name string) call {
		return func(r *commands.Roles, key string, ifMatch *uint64) (commands.RoleResult, error) {
			return r.Rename(ctx, rolesMD, key, ifMatch, name)
		}
	}
	describe := func(text string) call {
		return func(r *commands.Roles, key string, ifMatch *uint64) (commands.RoleResult, error) {
			return r.Describe(ctx, rolesMD, key, ifMatch, text)
		}
	}
	change := func(perms ...role.Permission) call {
		return func(r *commands.Roles, key string, ifMatch *uint64) (commands.RoleResult, error) {
			return r.ChangePermissions(ctx, rolesMD, key, ifMatch, perms)
		}
	}
	del := func(r *commands.Roles, key string, ifMatch *uint64) (commands.RoleResult, error) {
		return r.Delete(ctx, rolesMD, key, ifMatch)
	}
	ok := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	is := func(target error) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, target) {
				t.Fatalf("err = %v, want %v", err, target)
			}
		}
	}
	builtIn := func(t *testing.T, err error) {
		t.Helper()
		wantConflict(t, err, "key", "built_in")
		if !strings.Contains(err.Error(), role.Member) {
			t.Fatalf("conflict %q does not name the key", err)
		}
	}
	tests := []struct {
		name     string
		key      string // "auditor" exists at revision 0 in every case
		deleted  bool   // the role is deleted first (revision 1)
		ifMatch  *uint64
		when     call
		check    func(t *testing.T, err error)
		appended bool
		stored   string // the last event type in role-auditor afterwards
	}{
		{name: "rename", key: "auditor", when: rename("Compliance auditor"), check: ok, appended: true, stored: role.TypeRenamed},
		{name: "rename to the same name", key: "auditor", when: rename("Auditor"), check: ok, stored: role.TypeCreated},
		{name: "rename with If-Match", key: "auditor", ifMatch: &current, when: rename("Compliance auditor"), check: ok, appended: true, stored: role.TypeRenamed},
		{name: "rename with a stale If-Match", key: "auditor", ifMatch: &stale, when: rename("X"), check: is(domain.ErrPreconditionFailed), stored: role.TypeCreated},
		{name: "rename to nothing", key: "auditor", when: rename(""), check: func(t *testing.T, err error) { wantInvalid(t, err, "name") }, stored: role.TypeCreated},
		{name: "rename a built-in role", key: role.Member, when: rename("X"), check: builtIn, stored: role.TypeCreated},
		{name: "rename an unknown role", key: "ghost", when: rename("X"), check: is(role.ErrNoRole), stored: role.TypeCreated},
		{name: "rename an unknown role with If-Match", key: "ghost", ifMatch: &stale, when: rename("X"), check: is(domain.ErrNotFound), stored: role.TypeCreated},
		{name: "rename a deleted role", key: "auditor", deleted: true, when: rename("X"), check: is(domain.ErrNotFound), stored: role.TypeDeleted},
		{name: "describe", key: "auditor", when: describe("Reads everything"), check: ok, appended: true, stored: role.TypeDescribed},
		{name: "describe the same", key: "auditor", when: describe(" Reads the audit log "), check: ok, stored: role.TypeCreated},
		{name: "describe with a stale If-Match", key: "auditor", ifMatch: &stale, when: describe("X"), check: is(domain.ErrPreconditionFailed), stored: role.TypeCreated},
		{name: "describe a built-in role", key: role.Member, when: describe("X"), check: builtIn, stored: role.TypeCreated},
		{name: "describe an unknown role", key: "ghost", when: describe("X"), check: is(domain.ErrNotFound), stored: role.TypeCreated},
		{name: "change permissions", key: "auditor", when: change(role.ReadReports, role.ReadAudit), check: ok, appended: true, stored: role.TypePermissionsChanged},
		{name: "change to the same permissions", key: "auditor", when: change(role.ReadAudit, role.ReadAudit), check: ok, stored: role.TypeCreated},
		{name: "change to an unknown permission", key: "auditor", when: change("x:y"), check: func(t *testing.T, err error) { wantInvalid(t, err, "permissions") }, stored: role.TypeCreated},
		{name: "change with a stale If-Match", key: "auditor", ifMatch: &stale, when: change(role.ReadUsers), check: is(domain.ErrPreconditionFailed), stored: role.TypeCreated},
		{name: "change a built-in role", key: role.Member, when: change(role.ReadUsers), check: builtIn, stored: role.TypeCreated},
		{name: "change a deleted role", key: "auditor", deleted: true, when: change(role.ReadUsers), check: is(domain.ErrNotFound), stored: role.TypeDeleted},
		{name: "delete", key: "auditor", when: del, check: ok, appended: true, stored: role.TypeDeleted},
		{name: "delete with If-Match", key: "auditor", ifMatch: &current, when: del, check: ok, appended: true, stored: role.TypeDeleted},
		{name: "delete with a stale If-Match", key: "auditor", ifMatch: &stale, when: del, check: is(domain.ErrPreconditionFailed), stored: role.TypeCreated},
		{name: "delete a built-in role", key: role.Member, when: del, check: builtIn, stored: role.TypeCreated},
		{name: "delete twice", key: "auditor", deleted: true, when: del, check: is(role.ErrNoRole), stored: role.TypeDeleted},
		{name: "delete an unknown role", key: "ghost", when: del, check: is(domain.ErrNotFound), stored: role.TypeCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRolesFixture(t)
			f.create(t, "auditor")
			before := uint64(0)
			if tc.deleted {
				if _, err := f.roles.Delete(ctx, rolesMD, "auditor", nil); err != nil {
					t.Fatal(err)
				}
				before = 1
			}
			res, err := tc.when(f.roles, tc.key, tc.ifMatch)
			tc.check(t, err)
			if err == nil {
				want := commands.RoleResult{Key: tc.key, Result: commands.Result{Revision: before, Appended: tc.appended}}
				if tc.appended {
					want.Revision = before + 1
					want.Position = res.Position
					if res.Position == (eventstore.Position{}) {
						t.Fatalf("appended without a position: %+v", res)
					}
				}
				if res != want {
					t.Fatalf("result %+v, want %+v", res, want)
				}
			}
			types := f.types(t, "auditor")
			if last := types[len(types)-1]; last != tc.stored {
				t.Fatalf("role-auditor holds %v, want it to end with %s", types, tc.stored)
			}
			if got := f.types(t, tc.key); tc.key != "auditor" && got != nil {
				t.Fatalf("a command on %q wrote %v", tc.key, got)
			}
		})
	}
}

// TestCreateRoleRace: of 20 concurrent creates of one key exactly one wins;
// the others are told the key is taken.
func TestCreateRoleRace(t *testing.T) {
	f := newRolesFixture(t)
	const n = 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []commands.RoleResult
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.roles.Create(context.Background(), rolesMD, "reviewer", fmt.Sprintf("Reviewer %d", i), "", []role.Permission{role.ReadUsers})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			wins = append(wins, res)
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d of %d concurrent creates of one key won, want exactly 1", len(wins), n)
	}
	for _, err := range errs {
		wantConflict(t, err, "key", "role_exists")
	}
	if got := f.types(t, "reviewer"); !reflect.DeepEqual(got, []string{role.TypeCreated}) {
		t.Fatalf("role-reviewer holds %v, want one creation", got)
	}
}

// TestRoleWriteRace stages a concurrent write between a command's load and
// its append: without If-Match the command decides again and lands; with
// If-Match it answers precondition failed and writes nothing.
func TestRoleWriteRace(t *testing.T) {
	ctx := context.Background()
	for _, pinned := range []bool{false, true} {
		t.Run(fmt.Sprintf("If-Match %v", pinned), func(t *testing.T) {
			f := newRolesFixture(t)
			f.create(t, "auditor")
			other, err := commands.NewRoles(commands.RolesConfig{Store: f.store})
			if err != nil {
				t.Fatal(err)
			}
			f.spy.beforeAppend = func(string) {
				if _, err := other.Describe(ctx, rolesMD, "auditor", nil, "changed meanwhile"); err != nil {
					t.Errorf("concurrent describe: %v", err)
				}
			}
			var ifMatch *uint64
			if pinned {
				rev := uint64(0)
				ifMatch = &rev
			}
			res, err := f.roles.Rename(ctx, rolesMD, "auditor", ifMatch, "Compliance auditor")
			want := []string{role.TypeCreated, role.TypeDescribed, role.TypeRenamed}
			if pinned {
				if !errors.Is(err, domain.ErrPreconditionFailed) {
					t.Fatalf("err = %v, want precondition failed", err)
				}
				want = want[:2]
			} else if err != nil || res.Revision != 2 {
				t.Fatalf("rename after a concurrent write: %+v, %v", res, err)
			}
			if got := f.types(t, "auditor"); !reflect.DeepEqual(got, want) {
				t.Fatalf("stored %v, want %v", got, want)
			}
		})
	}
}

func TestLookupRole(t *testing.T) {
	ctx := context.Background()
	f := newRolesFixture(t)
	f.create(t, "auditor")
	f.create(t, "gone")
	if _, err := f.roles.ChangePermissions(ctx, rolesMD, "auditor", nil, []role.Permission{role.ReadReports, role.ReadAudit}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.roles.Delete(ctx, rolesMD, "gone", nil); err != nil {
		t.Fatal(err)
	}
	var member role.Definition
	for _, d := range role.BuiltIn() {
		if d.Key == role.Member {
			member = d
		}
	}
	tests := []struct {
		key    string
		want   role.Definition
		wantOK bool
	}{
		{key: role.Member, want: member, wantOK: true},
		{key: "auditor", want: role.Definition{Key: "auditor", Name: "Auditor", Description: "Reads the audit log", Permissions: []role.Permission{role.ReadAudit, role.ReadReports}}, wantOK: true},
		{key: "gone"},
		{key: "ghost"},
		{key: "Not A Key"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			got, ok, err := f.roles.Lookup(ctx, tc.key)
			if err != nil || ok != tc.wantOK || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Lookup(%q) = %+v, %v, %v; want %+v, %v, nil", tc.key, got, ok, err, tc.want, tc.wantOK)
			}
		})
	}
	for _, s := range f.spy.touched() {
		if s != role.Stream("auditor") && s != role.Stream("gone") && s != role.Stream("ghost") {
			t.Fatalf("Lookup read stream %q", s)
		}
	}
}
