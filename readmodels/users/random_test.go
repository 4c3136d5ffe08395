package users_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// TestSearchMatchesOracle checks random queries, walked page by page, against
// the brute-force oracle, for every group representation and every plan.
func TestSearchMatchesOracle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		n, queries := 400, 60
		if e.inProcess {
			n, queries = 150, 20
		}
		for _, w := range append(writeTunings, struct {
			name string
			t    func(users.TestTuning) users.TestTuning
		}{"big groups", func(t users.TestTuning) users.TestTuning {
			t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 40, 0, 8, 12
			return t
		}}) {
			t.Run(w.name, func(t *testing.T) {
				e := e.sibling(t)
				r := rand.New(rand.NewPCG(1, uint64(len(w.name))))
				docs := e.insert(t, e.store.Tuned(w.t(users.DefaultTestTuning())), randomDocs(r, n)...)
				tunings := append(queryTunings, struct {
					name string
					t    func(users.TestTuning) users.TestTuning
				}{"walk then blocks", func(t users.TestTuning) users.TestTuning {
					t.GatherMax, t.WalkBudget, t.BlockSortMax = 0, 40, 5
					return t
				}})
				for i := 0; i < queries; i++ {
					q := randomQuery(r, docs)
					want := ids(oracleSearch(docs, q))
					for _, qt := range tunings {
						s := e.store.Tuned(qt.t(users.DefaultTestTuning()))
						first := e.search(t, s, q)
						if first.Total != int64(len(want)) {
							t.Errorf("%s: %s: total %d, want %d (plan %s)", qt.name, describe(q), first.Total, len(want), first.Plan)
						}
						if got := ids(e.searchAll(t, s, q)); !slices.Equal(got, want) {
							t.Errorf("%s: %s limit %d: got %d users, want %d (plan %s)", qt.name, describe(q), q.Limit, len(got), len(want), first.Plan)
						}
					}
				}
			})
		}
	})
}

func ids(docs []users.Doc) []uuid.UUID {
	out := make([]uuid.UUID, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}
