package orglist_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/projections/orglist"
	"github.com/clarynext/usermgmt/readmodels/orgs"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var testTime = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

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
			cmds, err := commands.NewOrgs(commands.OrgsConfig{Store: store})
			if err != nil {
				t.Fatal(err)
			}
			reads := orgs.New(rdb, prefix)
			proj, err := orglist.New(reads, nil)
			if err != nil {
				t.Fatal(err)
			}
			if proj.Name != orglist.Name || !reflect.DeepEqual(proj.Prefixes, []string{org.StreamPrefix}) {
				t.Fatalf("projector %+v", proj)
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
			md := commands.System("t")
			if _, err := cmds.Create(ctx, md, "acme", "Acme"); err != nil {
				t.Fatal(err)
			}
			var ops, dev uuid.UUID
			steps := []struct {
				name  string
				run   func() error
				check func(d orgs.Org) bool
			}{
				{"created", func() error { return nil }, func(d orgs.Org) bool {
					return d.ID == "acme" && d.Name == "Acme" && !d.Created.IsZero() && !d.Archived && len(d.Teams) == 0 && d.Revision == 0
				}},
				{"teams created", func() error {
					r, err := cmds.CreateTeam(ctx, md, "acme", "ops")
					ops = r.TeamID
					if err != nil {
						return err
					}
					r, err = cmds.CreateTeam(ctx, md, "acme", "Dev")
					dev = r.TeamID
					return err
				}, func(d orgs.Org) bool {
					return len(d.Teams) == 2 && d.Teams[0].ID == dev && d.Teams[1].ID == ops && d.Teams[1].Name == "ops" && !d.Teams[0].Created.IsZero()
				}},
				{"renamed", func() error {
					if _, err := cmds.Rename(ctx, md, "acme", nil, "Acme Inc"); err != nil {
						return err
					}
					_, err := cmds.RenameTeam(ctx, md, "acme", ops, "Build")
					return err
				}, func(d orgs.Org) bool {
					return d.Name == "Acme Inc" && d.Teams[0].Name == "Build" && d.Teams[1].Name == "Dev"
				}},
				{"team deleted", func() error {
					_, err := cmds.DeleteTeam(ctx, md, "acme", dev)
					return err
				}, func(d orgs.Org) bool { return len(d.Teams) == 1 && d.Teams[0].ID == ops }},
				{"archived", func() error {
					_, err := cmds.Archive(ctx, md, "acme", nil)
					return err
				}, func(d orgs.Org) bool { return d.Archived && d.Revision == 6 }},
			}
			for _, step := range steps {
				if err := step.run(); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				evs, err := store.ReadStream(ctx, org.Stream("acme"), eventstore.ReadStreamOptions{})
				if err != nil {
					t.Fatal(err)
				}
				apply(evs) // every event so far: earlier ones must be skipped
				d, err := reads.Get(ctx, "acme")
				if err != nil {
					t.Fatalf("%s: get: %v", step.name, err)
				}
				if !step.check(d) {
					t.Fatalf("%s: doc %+v", step.name, d)
				}
				apply(evs) // a replay changes nothing
				if again, _ := reads.Get(ctx, "acme"); !reflect.DeepEqual(again, d) {
					t.Fatalf("%s: replay changed the doc: %+v -> %+v", step.name, d, again)
				}
			}
			live, err := reads.List(ctx, orgs.ListQuery{})
			if err != nil || live.Total != 0 {
				t.Fatalf("archived organization listed as live: %+v, %v", live, err)
			}
			all, err := reads.List(ctx, orgs.ListQuery{IncludeArchived: true})
			if err != nil || all.Total != 1 || all.Orgs[0].Name != "Acme Inc" {
				t.Fatalf("list with archived: %+v, %v", all, err)
			}
			if orgID, team, found, err := reads.Team(ctx, ops); err != nil || !found || orgID != "acme" || team.Name != "Build" {
				t.Fatalf("Team(ops) = %q %+v %v %v", orgID, team, found, err)
			}
			if _, _, found, err := reads.Team(ctx, dev); err != nil || found {
				t.Fatalf("deleted team found: %v %v", found, err)
			}
		})
	}
}

// TestBatchOfSeveralOrganizations: one batch interleaving two
// organizations' events yields both documents, as if applied one by one.
func TestBatchOfSeveralOrganizations(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			reads := orgs.New(rdb, prefix)
			proj, err := orglist.New(reads, nil)
			if err != nil {
				t.Fatal(err)
			}
			codec, err := domain.NewCodec(org.Registrations()...)
			if err != nil {
				t.Fatal(err)
			}
			var o1, o2 org.Org
			team := uuid.New()
			var batch []eventstore.RecordedEvent
			revs := map[string]uint64{}
			add := func(id string, evs []domain.Event, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					typ, data, err := codec.Marshal(e)
					if err != nil {
						t.Fatal(err)
					}
					batch = append(batch, eventstore.RecordedEvent{ID: uuid.New(), Stream: org.Stream(id), Revision: revs[id], Type: typ, Data: data})
					revs[id]++
				}
			}
			now := testTime
			evs, err := o1.Create("a1", "First", now)
			add("a1", evs, err)
			evs, err = o2.Create("a2", "second", now)
			add("a2", evs, err)
			evs, err = o1.CreateTeam(team, "Ops", now)
			add("a1", evs, err)
			evs, err = o2.Rename("Second", now)
			add("a2", evs, err)

			// The first event alone, then the whole batch: the overlap is
			// skipped.
			for _, part := range [][]eventstore.RecordedEvent{batch[:1], batch} {
				pipe := rdb.TxPipeline()
				if err := proj.Handler.Apply(ctx, pipe, part); err != nil {
					t.Fatal(err)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			d1, err1 := reads.Get(ctx, "a1")
			d2, err2 := reads.Get(ctx, "a2")
			if err1 != nil || err2 != nil || d1.Revision != 1 || len(d1.Teams) != 1 || d2.Name != "Second" || d2.Revision != 1 {
				t.Fatalf("docs %+v %v, %+v %v", d1, err1, d2, err2)
			}
			page, err := reads.List(ctx, orgs.ListQuery{})
			if err != nil || page.Total != 2 || page.Orgs[0].ID != "a1" || page.Orgs[1].ID != "a2" {
				t.Fatalf("list %+v, %v", page, err)
			}
		})
	}
}

func TestApplyRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Mini(t)
	proj, err := orglist.New(orgs.New(rdb, prefix), nil)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := domain.NewCodec(org.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	typ, data, err := codec.Marshal(org.Renamed{OrgID: "acme", Name: "Acme", At: testTime})
	if err != nil {
		t.Fatal(err)
	}
	for name, rec := range map[string]eventstore.RecordedEvent{
		"event before creation":   {Stream: org.Stream("acme"), Type: typ, Data: data},
		"not an org stream":       {Stream: "user-acme", Type: typ, Data: data},
		"unknown event type":      {Stream: org.Stream("acme"), Type: "org.merged.v1", Data: []byte(`{}`)},
		"invalid organization ID": {Stream: org.Stream("a b"), Type: typ, Data: data},
	} {
		if err := proj.Handler.Apply(ctx, rdb.TxPipeline(), []eventstore.RecordedEvent{rec}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := orglist.New(nil, nil); err == nil {
		t.Error("New accepted no store")
	}
}
