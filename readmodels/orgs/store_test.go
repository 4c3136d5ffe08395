package orgs_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/readmodels/orgs"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func put(t *testing.T, rdb redis.UniversalClient, s *orgs.Store, docs ...orgs.Org) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.TxPipeline()
	for _, d := range docs {
		if err := s.Put(ctx, pipe, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func names(page orgs.ListPage) []string {
	var out []string
	for _, o := range page.Orgs {
		out = append(out, o.ID)
	}
	return out
}

func TestPutGet(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			s := orgs.New(rdb, prefix)
			ops := orgs.Team{ID: uuid.MustParse("7a000000-0000-4000-8000-00000000000a"), Name: "ops", Created: t0}
			api := orgs.Team{ID: uuid.MustParse("7a000000-0000-4000-8000-00000000000b"), Name: "API", Created: t0}
			in := orgs.Org{ID: "acme", Name: "Acme", Created: t0, Revision: 3, Teams: []orgs.Team{ops, api}}
			put(t, rdb, s, in)
			got, err := s.Get(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			want := in
			want.Teams = []orgs.Team{api, ops} // display order
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Get = %+v, want %+v", got, want)
			}
			if _, err := s.Get(ctx, "globex"); !errors.Is(err, orgs.ErrNotFound) || !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("Get unknown: %v", err)
			}
			empty := orgs.Org{ID: "globex", Name: "Globex", Created: t0}
			put(t, rdb, s, empty)
			if got, err := s.Get(ctx, "globex"); err != nil || got.Teams == nil || len(got.Teams) != 0 {
				t.Fatalf("Get without teams = %#v, %v", got, err)
			}
			if err := s.Put(ctx, rdb.TxPipeline(), orgs.Org{}); err == nil {
				t.Fatal("Put accepted a document without ID")
			}
			keys, err := rdb.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if b.Name == "miniredis" && !strings.HasPrefix(k, prefix) {
					t.Errorf("key %q outside the prefix %q", k, prefix)
				}
			}
		})
	}
}

func TestTeamIndex(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			s := orgs.New(rdb, prefix)
			ops := orgs.Team{ID: uuid.New(), Name: "Ops", Created: t0}
			dev := orgs.Team{ID: uuid.New(), Name: "Dev", Created: t0}
			put(t, rdb, s, orgs.Org{ID: "acme", Name: "Acme", Teams: []orgs.Team{ops, dev}})
			orgID, team, found, err := s.Team(ctx, dev.ID)
			if err != nil || !found || orgID != "acme" || team != dev {
				t.Fatalf("Team(dev) = %q, %+v, %v, %v", orgID, team, found, err)
			}
			// Dev is deleted: the document no longer lists it.
			put(t, rdb, s, orgs.Org{ID: "acme", Name: "Acme", Teams: []orgs.Team{ops}})
			if _, _, found, err := s.Team(ctx, dev.ID); err != nil || found {
				t.Fatalf("deleted team found: %v, %v", found, err)
			}
			if _, _, found, err := s.Team(ctx, uuid.New()); err != nil || found {
				t.Fatalf("unknown team found: %v, %v", found, err)
			}
		})
	}
}

func TestList(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			s := orgs.New(rdb, prefix)
			put(t, rdb, s,
				orgs.Org{ID: "b2", Name: "beta"},
				orgs.Org{ID: "a", Name: "Zeta"},
				orgs.Org{ID: "b1", Name: "Beta"},
				orgs.Org{ID: "c", Name: "alpha"},
				orgs.Org{ID: "d", Name: "Delta", Archived: true},
			)
			// A rename moves the organization in the order and leaves no
			// trace of its old name.
			put(t, rdb, s, orgs.Org{ID: "a", Name: "Gamma"})

			tests := []struct {
				name  string
				q     orgs.ListQuery
				want  []string
				total int
				more  bool
			}{
				{"live, by name then ID", orgs.ListQuery{}, []string{"c", "b1", "b2", "a"}, 4, false},
				{"archived included", orgs.ListQuery{IncludeArchived: true}, []string{"c", "b1", "b2", "d", "a"}, 5, false},
				{"first page", orgs.ListQuery{Limit: 2}, []string{"c", "b1"}, 4, true},
				{"exact fit", orgs.ListQuery{Limit: 4}, []string{"c", "b1", "b2", "a"}, 4, false},
			}
			for _, tc := range tests {
				page, err := s.List(ctx, tc.q)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got := names(page); !reflect.DeepEqual(got, tc.want) || page.Total != tc.total || (page.NextCursor != "") != tc.more {
					t.Errorf("%s: %q total %d cursor %q, want %q total %d more %v", tc.name, got, page.Total, page.NextCursor, tc.want, tc.total, tc.more)
				}
			}

			// Walk every page of one: each organization once, in order, even
			// when one is renamed ahead of the cursor meanwhile.
			var walked []string
			q := orgs.ListQuery{Limit: 1, IncludeArchived: true}
			for i := 0; ; i++ {
				page, err := s.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				walked = append(walked, names(page)...)
				if i == 1 {
					put(t, rdb, s, orgs.Org{ID: "a", Name: "Omega"})
				}
				if page.NextCursor == "" {
					break
				}
				q.Cursor = page.NextCursor
			}
			if want := []string{"c", "b1", "b2", "d", "a"}; !reflect.DeepEqual(walked, want) {
				t.Fatalf("walked %q, want %q", walked, want)
			}
			if got, err := s.Get(ctx, "a"); err != nil || got.Name != "Omega" {
				t.Fatalf("Get(a) = %+v, %v", got, err)
			}
		})
	}
}

func TestListRejectsBadQueries(t *testing.T) {
	rdb, prefix := redistest.Mini(t)
	s := orgs.New(rdb, prefix)
	for _, tc := range []struct {
		q     orgs.ListQuery
		field string
	}{
		{orgs.ListQuery{Limit: -1}, "limit"},
		{orgs.ListQuery{Limit: orgs.MaxLimit + 1}, "limit"},
		{orgs.ListQuery{Cursor: "not base64!"}, "cursor"},
		{orgs.ListQuery{Cursor: "AQ"}, "cursor"},
		{orgs.ListQuery{Cursor: "AmFiYwBk"}, "cursor"}, // version 2
	} {
		_, err := s.List(context.Background(), tc.q)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
			t.Errorf("%+v: err = %v, want invalid %s", tc.q, err, tc.field)
		}
	}
}

// TestListPagesManyOrgs: pages of a larger list join up to the whole list.
func TestListPagesManyOrgs(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			rdb, prefix := b.Open(t)
			s := orgs.New(rdb, prefix)
			var docs []orgs.Org
			var want []string
			for i := range 120 {
				id := fmt.Sprintf("org-%03d", i)
				docs = append(docs, orgs.Org{ID: id, Name: fmt.Sprintf("Org %03d", i)})
				want = append(want, id)
			}
			put(t, rdb, s, docs...)
			var got []string
			q := orgs.ListQuery{}
			for {
				page, err := s.List(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != 120 {
					t.Fatalf("total %d", page.Total)
				}
				got = append(got, names(page)...)
				if page.NextCursor == "" {
					break
				}
				q.Cursor = page.NextCursor
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pages joined: %d organizations, want %d in order", len(got), len(want))
			}
		})
	}
}
