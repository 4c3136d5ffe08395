package users_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// TestCursorStableUnderInserts walks every order page by page while other
// users are inserted between the first fetches, before and after the
// cursor: the
// walk must return every user that existed when it started exactly once and
// in order, and never a user twice.
func TestCursorStableUnderInserts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		n, perPage, insertsPerPage := 150, 9, 4
		if e.inProcess {
			n, insertsPerPage = 60, 2
		}
		r := rand.New(rand.NewPCG(7, 7))
		docs := e.insert(t, e.store, randomDocs(r, n)...)
		for _, sort := range []users.SortField{users.SortName, users.SortEmail, users.SortCreated, users.SortLastLogin, users.SortStatus} {
			for _, desc := range []bool{false, true} {
				for _, filtered := range []bool{false, true} {
					q := users.Query{Sort: sort, Desc: desc, Limit: perPage}
					if filtered {
						q.Statuses = []string{"active"}
					}
					before := ids(oracleSearch(docs, q))
					var walked []uuid.UUID
					for page := 0; ; page++ {
						p := e.search(t, e.store, q)
						walked = append(walked, ids(p.Users)...)
						if p.NextCursor == "" {
							break
						}
						q.Cursor = p.NextCursor
						if page < 6 {
							docs = append(docs, e.insert(t, e.store, randomDocs(r, insertsPerPage)...)...)
						}
					}
					seen := map[uuid.UUID]bool{}
					var old []uuid.UUID
					for _, id := range walked {
						if seen[id] {
							t.Fatalf("%s: user %s returned twice", describe(q), id)
						}
						seen[id] = true
						if slices.Contains(before, id) {
							old = append(old, id)
						}
					}
					if !slices.Equal(old, before) {
						t.Errorf("%s: the %d users present at the start came back as %d, or out of order",
							describe(q), len(before), len(old))
					}
				}
			}
		}
	})
}
