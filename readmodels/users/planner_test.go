package users_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

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
