package users_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// plannerDocs are 400 users shaped so that, with plannerTuning, each query
// of TestPlannerTakesEachPath takes a known path: a tiny org (12 users), an
// admin role (25), 342 active users, and a "late" org of the 120 users
// created last.
func plannerDocs() []users.Doc {
	docs := make([]users.Doc, 400)
	for i := range docs {
		d := users.Doc{
			ID:        uuid.New(),
			FirstName: oracleFirst[i%len(oracleFirst)],
			LastName:  oracleLast[i%len(oracleLast)],
			Email:     fmt.Sprintf("user%d@%s", i, oracleDomain[i%len(oracleDomain)]),
			Status:    "active",
			Roles:     []string{"member"},
			Created:   day(i),
		}
		if i == 7 {
			d.LastName = "Zyxwvut"
		}
		if i%7 == 0 {
			d.Status = "suspended"
		}
		if i%16 == 0 {
			d.Roles = append(d.Roles, "admin")
		}
		switch {
		case i >= 280:
			d.Org = "late"
		case i%25 == 1:
			d.Org = "tiny"
		}
		docs[i] = d
	}
	return docs
}

// plannerTuning scales the thresholds down to the 400 users.
func plannerTuning() users.TestTuning {
	t := users.DefaultTestTuning()
	t.GatherMax, t.WalkBudget, t.BlockSortMax = 20, 200, 10
	t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 16, 0, 30, 30
	return t
}

func TestPlannerTakesEachPath(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		s := e.store.Tuned(plannerTuning())
		docs := e.insert(t, s, plannerDocs()...)
		for _, tc := range []struct {
			name string
			q    users.Query
			plan string
		}{
			{"no filter reads the sort index", users.Query{Sort: users.SortEmail}, "index"},
			{"small org is gathered", users.Query{Orgs: []string{"tiny"}}, "gather"},
			{"rare word is gathered from the word index", users.Query{Text: "zyx"}, "gather"},
			{"unselective status walks the index", users.Query{Statuses: []string{"active"}}, "walk"},
			{"two-letter prefix walks the index", users.Query{Text: "an", Sort: users.SortCreated, Desc: true}, "walk"},
			{"small intersection of big groups is extracted", users.Query{Roles: []string{"admin"}, Orgs: []string{"late"}}, "extract"},
			{"clustered users exhaust the walk", users.Query{Orgs: []string{"late"}, Sort: users.SortCreated}, "walk+blocks"},
			{"users sharing one sort value are read in number order", users.Query{Orgs: []string{"late"}, Sort: users.SortLastLogin, Limit: 7}, "walk+blocks+numbers"},
			{"status order walks per status", users.Query{Sort: users.SortStatus}, "status(active:walk)"},
			{"status order of a small org", users.Query{Sort: users.SortStatus, Orgs: []string{"tiny"}}, "status(gather)"},
			{"status order, page in the second status", users.Query{Sort: users.SortStatus, Desc: true, Statuses: []string{"suspended", "active"}, Roles: []string{"member"}}, "status(suspended:blocks)"},
		} {
			p := e.search(t, s, tc.q)
			if p.Plan != tc.plan {
				t.Errorf("%s (%s): plan %q, want %q", tc.name, describe(tc.q), p.Plan, tc.plan)
			}
			want := oracleSearch(docs, tc.q)
			if p.Total != int64(len(want)) {
				t.Errorf("%s: total %d, want %d", tc.name, p.Total, len(want))
			}
			if got, want := ids(e.searchAll(t, s, tc.q)), ids(want); !slices.Equal(got, want) {
				t.Errorf("%s: got %d users, want %d, or in another order", tc.name, len(got), len(want))
			}
		}
	})
}

// TestOneValueBlockAfterCursorLeft pages through a block whose users share
// one last-login time while the cursor's user leaves it: the next page
// starts at the right place whether the cursor's own time sorts before or
// after the time left in the block.
func TestOneValueBlockAfterCursorLeft(t *testing.T) {
	// Two login times in one finest block (2^24 ms), and a later one.
	base := time.UnixMilli(1 << 40)
	early, late, away := base.Add(time.Second), base.Add(5*time.Second), base.Add(48*time.Hour)
	forEachBackend(t, func(t *testing.T, e *env) {
		tuning := plannerTuning()
		tuning.WalkBudget = 1
		s := e.store.Tuned(tuning)
		docs := make([]users.Doc, 60)
		for i := range docs {
			docs[i] = users.Doc{ID: uuid.New(), FirstName: "U", LastName: fmt.Sprint(i), Email: fmt.Sprintf("u%d@x.test", i),
				Status: "active", Org: "o", Created: day(i), LastLogin: late}
			if i >= 30 {
				docs[i].LastLogin = early
			}
		}
		docs = e.insert(t, s, docs...)
		move := func(rows []int, at time.Time) {
			for _, i := range rows {
				old := docs[i]
				docs[i].LastLogin = at
				e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(context.Background(), pipe, &old, docs[i]) })
			}
		}
		q := users.Query{Orgs: []string{"o"}, Sort: users.SortLastLogin, Limit: 5}
		p := e.search(t, s, q)
		// next reads the page after p and checks that it holds the users
		// docs[from:from+5], read by the plan plan ("" for any).
		next := func(step string, from int, plan string) {
			t.Helper()
			q.Cursor = p.NextCursor
			p = e.search(t, s, q)
			if got, want := ids(p.Users), ids(docs[from:from+5]); !slices.Equal(got, want) {
				t.Fatalf("%s: got %v, want users %d-%d", step, got, from, from+4)
			}
			if plan != "" && p.Plan != plan {
				t.Errorf("%s: plan %q, want %q", step, p.Plan, plan)
			}
		}

		// The cursor is at user 34 (early) in a block holding both times;
		// then every early user leaves: the rest of the block (late, lower
		// numbers) comes after the cursor.
		move(seq(30, 60), away)
		next("after the early users left", 0, "blocks+numbers")

		// The cursor's time is the block's: the page goes on after it.
		next("next page in the block", 5, "blocks+numbers")

		// The cursor is at user 9 (late); the late users leave and some
		// early users come back: they sort before the cursor, so the next
		// page goes on after the block, with the users who moved away (in
		// number order).
		move(seq(0, 30), away)
		move(seq(30, 50), early)
		next("after the late users left", 0, "")
	})
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
