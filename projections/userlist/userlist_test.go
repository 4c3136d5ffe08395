package userlist_test

import (
	"context"
	"path/filepath"
	"reflect"
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
					return d.Email == "Zoë@example.com" && d.Status == "active" && d.Org == "acme" && reflect.DeepEqual(d.Roles, []string{"member"}) && d.Revision == 1
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
					return d.Deleted && d.Status == "deleted" && d.Email == "" && d.FirstName == "" && d.LastName == "" && len(d.Notes) == 0
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
