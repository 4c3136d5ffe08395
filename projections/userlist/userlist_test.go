package userlist_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/projections/userlist"
	"github.com/clarynext/usermgmt/readmodels/redistest"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// TestProjection drives the handler with real events from the command
// handlers and checks the read model after each step, and that applying
// the same events again changes nothing.
func TestProjection(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			rdb, prefix := b.Open(t)
			params := password.OWASP
			params.Memory = 1024
			cmds, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: password.NewHasher(params, 1)})
			if err != nil {
				t.Fatal(err)
			}
			reads := users.New(rdb, prefix)
			proj, err := userlist.New(reads, nil)
			if err != nil {
				t.Fatal(err)
			}
			apply := func(evs []eventstore.RecordedEvent) {
				t.Helper()
				pipe := rdb.TxPipeline()
				if err := proj.Handler.Apply(ctx, pipe, evs); err != nil {
					t.Fatal(err)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			stream := func(id string) []eventstore.RecordedEvent {
				evs, err := store.ReadStream(ctx, id, eventstore.ReadStreamOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			md := commands.System("t")
			created, err := cmds.Create(ctx, md, commands.CreateUser{Email: "Zoë@Example.com", FirstName: "Zoë", LastName: "Lefèvre", Roles: []string{"member"}, OrgID: "acme", SendInvite: true})
			if err != nil {
				t.Fatal(err)
			}
			id := created.ID
			newName := "Zoé"
			steps := []struct {
				name  string
				run   func() error
				check func(d users.Doc) bool
			}{
				{"created", func() error { return nil }, func(d users.Doc) bool {
					return d.Email == "Zoë@example.com" && d.Status == "invited" && d.Org == "acme" && reflect.DeepEqual(d.Roles, []string{"member"}) &&
						d.Revision == 1 && d.Invitation == users.InvitationPending && d.InvitationExpiresAt.After(d.InvitationSentAt) && d.Source == ""
				}},
				{"edited", func() error {
					roles := []string{"author", "member"}
					org := ""
					_, err := cmds.Edit(ctx, md, id, nil, user.Patch{FirstName: &newName, Roles: &roles, OrgID: &org})
					return err
				}, func(d users.Doc) bool {
					return d.FirstName == "Zoé" && reflect.DeepEqual(d.Roles, []string{"author", "member"}) && d.Org == ""
				}},
				{"suspended", func() error { _, err := cmds.Suspend(ctx, md, id, nil, "x"); return err }, func(d users.Doc) bool { return d.Status == "suspended" }},
				{"noted", func() error { _, err := cmds.AddNote(ctx, md, id, nil, "hello"); return err }, func(d users.Doc) bool {
					return len(d.Notes) == 1 && d.Notes[0].Text == "hello" && d.Notes[0].At.After(time.Time{})
				}},
				{"anonymized", func() error { _, err := cmds.Delete(ctx, md, id, nil, user.Anonymize); return err }, func(d users.Doc) bool {
					// Deletion ends the invitation link that was still pending.
					return d.Deleted && d.Status == "deleted" && d.Email == "" && d.FirstName == "" && d.LastName == "" && len(d.Notes) == 0 &&
						d.Invitation == users.InvitationRevoked && d.InvitationExpiresAt.IsZero()
				}},
			}
			for _, step := range steps {
				if err := step.run(); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				evs := stream(user.Stream(id))
				apply(evs) // every event so far: earlier ones must be skipped
				d, err := reads.Get(ctx, id)
				if err != nil {
					t.Fatalf("%s: get: %v", step.name, err)
				}
				if !step.check(d) {
					t.Fatalf("%s: doc %+v", step.name, d)
				}
				apply(evs) // a replay changes nothing
				again, _ := reads.Get(ctx, id)
				if !reflect.DeepEqual(again, d) {
					t.Fatalf("%s: replay changed the doc: %+v -> %+v", step.name, d, again)
				}
			}
			page, err := reads.Search(ctx, users.Query{Text: "zoe"})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 0 {
				t.Fatalf("anonymized user still found by name: %+v", page)
			}
		})
	}
}

// TestMembershipAndLogins: org role, teams, a deleted team, last login and
// lock state reach the list from user, org and auth streams, read in
// global order as the runner delivers them.
func TestMembershipAndLogins(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			rdb, prefix := b.Open(t)
			params := password.OWASP
			params.Memory = 1024
			hasher := password.NewHasher(params, 2)
			cmds, err := commands.NewUsers(commands.UsersConfig{Store: store, Hasher: hasher, CheckOrgs: true})
			if err != nil {
				t.Fatal(err)
			}
			orgs, err := commands.NewOrgs(commands.OrgsConfig{Store: store})
			if err != nil {
				t.Fatal(err)
			}
			auth, err := commands.NewAuth(commands.AuthConfig{Store: store, Verifier: hasher})
			if err != nil {
				t.Fatal(err)
			}
			reads := users.New(rdb, prefix)
			proj, err := userlist.New(reads, nil)
			if err != nil {
				t.Fatal(err)
			}
			var applied eventstore.Position
			catchUp := func() {
				t.Helper()
				evs, err := store.ReadAll(ctx, eventstore.ReadAllOptions{From: applied, Max: 10_000})
				if err != nil {
					t.Fatal(err)
				}
				var mine []eventstore.RecordedEvent
				for _, ev := range evs {
					if !applied.Less(ev.Position) {
						continue
					}
					applied = ev.Position
					if slices.ContainsFunc(proj.Prefixes, func(p string) bool { return strings.HasPrefix(ev.Stream, p) }) {
						mine = append(mine, ev)
					}
				}
				pipe := rdb.TxPipeline()
				if err := proj.Handler.Apply(ctx, pipe, mine); err != nil {
					t.Fatal(err)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			md := commands.System("t")
			if _, err := orgs.Create(ctx, md, "acme", "Acme"); err != nil {
				t.Fatal(err)
			}
			red, err := orgs.CreateTeam(ctx, md, "acme", "Red")
			if err != nil {
				t.Fatal(err)
			}
			created, err := cmds.Create(ctx, md, commands.CreateUser{Email: "ann@acme.example", FirstName: "Ann", OrgID: "acme", Password: "a long password"})
			if err != nil {
				t.Fatal(err)
			}
			id := created.ID
			login := func(pw string) error {
				_, err := auth.Login(ctx, md, commands.LoginAttempt{Email: "ann@acme.example", Password: pw})
				return err
			}
			steps := []struct {
				name  string
				run   func() error
				check func(d users.Doc) bool
				query users.Query
			}{
				{"created with org role", func() error { return nil }, func(d users.Doc) bool {
					return d.Org == "acme" && d.OrgRole == "member" && len(d.Teams) == 0 && d.LastLogin.IsZero() && !d.Locked
				}, users.Query{Orgs: []string{"acme"}}},
				{"joined a team", func() error {
					_, err := cmds.JoinTeam(ctx, md, id, nil, red.TeamID, "lead")
					return err
				}, func(d users.Doc) bool {
					return reflect.DeepEqual(d.Teams, []users.Team{{ID: red.TeamID.String(), Role: "lead"}})
				}, users.Query{Teams: []string{red.TeamID.String()}}},
				{"logged in", func() error { return login("a long password") }, func(d users.Doc) bool {
					return !d.LastLogin.IsZero() && d.Revision == 2
				}, users.Query{Sort: users.SortLastLogin, Desc: true}},
				{"locked after five failures", func() error {
					for range 5 {
						if err := login("wrong password"); !errors.Is(err, commands.ErrInvalidCredentials) {
							return fmt.Errorf("wrong password: %v", err)
						}
					}
					return nil
				}, func(d users.Doc) bool { return d.Locked && d.LockedAt(time.Now()) && !d.LockedUntil.IsZero() },
					users.Query{Locks: []string{users.LockLocked}}},
				{"lockout cleared", func() error {
					_, err := auth.ClearLockout(ctx, md, id)
					return err
				}, func(d users.Doc) bool { return !d.Locked }, users.Query{}},
				{"team deleted", func() error {
					_, err := orgs.DeleteTeam(ctx, md, "acme", red.TeamID)
					return err
				}, func(d users.Doc) bool { return len(d.Teams) == 0 }, users.Query{}},
			}
			for _, step := range steps {
				if err := step.run(); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				catchUp()
				d, err := reads.Get(ctx, id)
				if err != nil {
					t.Fatalf("%s: get: %v", step.name, err)
				}
				if !step.check(d) {
					t.Fatalf("%s: doc %+v", step.name, d)
				}
				page, err := reads.Search(ctx, step.query)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Users) != 1 || page.Users[0].ID != id {
					t.Fatalf("%s: search %+v finds %+v", step.name, step.query, page.Users)
				}
			}
			page, err := reads.Search(ctx, users.Query{Locks: []string{users.LockLocked}})
			if err != nil || page.Total != 0 {
				t.Fatalf("lock filter after clear: %+v %v", page, err)
			}
			page, err = reads.Search(ctx, users.Query{Teams: []string{red.TeamID.String()}})
			if err != nil || page.Total != 0 {
				t.Fatalf("team filter after deletion: %+v %v", page, err)
			}
		})
	}
}
