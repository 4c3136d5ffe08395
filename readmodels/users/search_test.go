package users_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// searchCases run against the fixture; want lists fixture rows in name
// order (the default sort).
var searchCases = []struct {
	name string
	q    users.Query
	want []int
}{
	{"everyone", users.Query{}, []int{9, 8, 5, 2, 10, 11, 13, 1, 3, 7, 14, 4, 6, 12}},
	{"blank text is no filter", users.Query{Text: "  !!! "}, []int{9, 8, 5, 2, 10, 11, 13, 1, 3, 7, 14, 4, 6, 12}},

	{"accent-free finds accented", users.Query{Text: "jose"}, []int{13, 1}},
	{"case and accents ignored", users.Query{Text: "JOSÉ NÚÑEZ"}, []int{1}},
	{"last-name prefix", users.Query{Text: "nun"}, []int{1}},
	{"sharp s folds to ss", users.Query{Text: "gross"}, []int{3}},
	{"sharp s in query", users.Query{Text: "Groß"}, []int{3}},
	{"slashed o", users.Query{Text: "orsted"}, []int{4}},
	{"stroke l", users.Query{Text: "łukasz"}, []int{7}},
	{"apostrophe joins", users.Query{Text: "o'brien"}, []int{14}},
	{"apostrophe optional", users.Query{Text: "obr"}, []int{14}},
	{"hyphenated first name", users.Query{Text: "jane"}, []int{2, 14}},
	{"cyrillic prefix", users.Query{Text: "ив"}, []int{12}},
	{"no match", users.Query{Text: "zzz"}, nil},
	{"one letter", users.Query{Text: "J"}, []int{2, 10, 11, 13, 1, 3, 14}},
	{"two letters", users.Query{Text: "ex"}, []int{9, 8, 10, 11, 13, 1, 7, 4, 6, 12}},

	{"email domain word", users.Query{Text: "acme"}, []int{5, 2, 14}},
	{"email prefix", users.Query{Text: "jane@acme"}, []int{2}},
	{"whole email", users.Query{Text: "JANE@ACME.COM"}, []int{2}},
	{"at-domain", users.Query{Text: "@acme.com"}, []int{2, 14}},
	{"email local part word", users.Query{Text: "jsmith"}, []int{11}},

	{"two words", users.Query{Text: "example com"}, []int{10, 1, 6}},
	{"word order free", users.Query{Text: "smith john"}, []int{10, 11}},
	{"long shared prefix", users.Query{Text: "konstantinopoulou papadopoulou"}, []int{8}},
	{"long shared prefix, shorter", users.Query{Text: "konstantinopoulou papadopoulo"}, []int{9, 8}},
	{"name and email words", users.Query{Text: "jose example"}, []int{13, 1}},

	{"role", users.Query{Roles: []string{"member"}}, []int{9, 8, 2, 10, 11, 13, 1, 3, 6, 12}},
	{"roles OR", users.Query{Roles: []string{"author", "expert"}}, []int{2, 7, 14, 4}},
	{"rare role", users.Query{Roles: []string{"admin"}}, []int{6}},
	{"unknown role", users.Query{Roles: []string{"nope"}}, nil},
	{"org", users.Query{Orgs: []string{"acme"}}, []int{2, 13, 1, 7, 14}},
	{"orgs OR", users.Query{Orgs: []string{"beta", "gamma"}}, []int{9, 8, 11, 3, 4, 6}},
	{"known and unknown org", users.Query{Orgs: []string{"acme", "nope"}}, []int{2, 13, 1, 7, 14}},
	{"status", users.Query{Statuses: []string{"suspended"}}, []int{9, 13, 3}},
	{"statuses OR", users.Query{Statuses: []string{"active", "invited"}}, []int{8, 5, 2, 10, 11, 1, 7, 14, 4, 6}},
	{"invited", users.Query{Statuses: []string{"invited"}}, []int{5}},
	{"unverified", users.Query{Statuses: []string{"unverified"}}, []int{12}},
	{"invited or unverified", users.Query{Statuses: []string{"unverified", "invited"}}, []int{5, 12}},

	{"team", users.Query{Teams: []string{"t1"}}, []int{2, 7, 14}},
	{"teams OR", users.Query{Teams: []string{"t2", "nope"}}, []int{14}},
	{"two factor", users.Query{TwoFactors: []string{users.TwoFactorEnabled}}, []int{2, 6}},
	{"locked", users.Query{Locks: []string{users.LockLocked}}, []int{3, 7}},
	{"locked in a team", users.Query{Locks: []string{users.LockLocked}, Teams: []string{"t1"}}, []int{7}},
	{"invitation pending", users.Query{Invitations: []string{users.InvitationPending}}, []int{5, 13}},
	{"invitation revoked", users.Query{Invitations: []string{users.InvitationRevoked}}, []int{3}},
	{"invitation accepted", users.Query{Invitations: []string{users.InvitationAccepted}}, []int{2, 7}},
	{"invitations OR", users.Query{Invitations: []string{users.InvitationRevoked, users.InvitationPending}}, []int{5, 13, 3}},
	{"invitation pending and invited", users.Query{Invitations: []string{users.InvitationPending}, Statuses: []string{"invited"}}, []int{5}},
	{"invitation and text", users.Query{Invitations: []string{users.InvitationAccepted, users.InvitationRevoked}, Text: "j"}, []int{2, 3}},

	{"org and role", users.Query{Orgs: []string{"acme"}, Roles: []string{"author"}}, []int{2, 7, 14}},
	{"three filters", users.Query{Orgs: []string{"acme"}, Roles: []string{"member"}, Statuses: []string{"suspended"}}, []int{13}},
	{"multi-valued fields AND-ed", users.Query{Orgs: []string{"acme", "gamma"}, Statuses: []string{"suspended", "invited"}}, []int{9, 13}},
	{"text and filter", users.Query{Text: "jo", Orgs: []string{"acme"}}, []int{13, 1}},
	{"text and disjoint filter", users.Query{Text: "zoe", Orgs: []string{"acme"}}, nil},
	{"email prefix and filter", users.Query{Text: "j", Statuses: []string{"suspended"}}, []int{13, 3}},
}

// tunings force every representation and plan on the small fixture: write
// tunings decide sets or bitmaps (and hot prefixes), query tunings the path.
var (
	writeTunings = []struct {
		name string
		t    func(users.TestTuning) users.TestTuning
	}{
		{"sets", func(t users.TestTuning) users.TestTuning { return t }},
		{"bitmaps, hot words", func(t users.TestTuning) users.TestTuning {
			t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 1, 0, 0, 0
			return t
		}},
		{"bitmaps, hot prefixes", func(t users.TestTuning) users.TestTuning {
			t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 1, 0, 1000, 1
			return t
		}},
		{"mixed", func(t users.TestTuning) users.TestTuning {
			t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 3, 0, 1, 2
			return t
		}},
	}
	queryTunings = []struct {
		name string
		t    func(users.TestTuning) users.TestTuning
	}{
		{"default", func(t users.TestTuning) users.TestTuning { return t }},
		{"walk", func(t users.TestTuning) users.TestTuning {
			t.GatherMax, t.BlockSortMax, t.WalkBudget = 0, 0, 1e9
			return t
		}},
		{"extract", func(t users.TestTuning) users.TestTuning {
			t.GatherMax, t.BlockSortMax = 0, 1e9
			return t
		}},
		{"blocks", func(t users.TestTuning) users.TestTuning {
			// Bit tests switch from GETBIT to a bitmap read into Lua
			// after three.
			t.GatherMax, t.WalkBudget, t.BlockSortMax, t.BitTestReads = 0, 0, 2, 3
			return t
		}},
	}
)

func TestSearchFixture(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, w := range writeTunings {
			t.Run(w.name, func(t *testing.T) {
				e := e.sibling(t)
				writer := e.store.Tuned(w.t(users.DefaultTestTuning()))
				l := loadFixture(t, e, writer)
				// The tunings do build what they are meant to.
				keys := e.keys(t)
				for name, key := range map[string]string{"hot words": "hotwords", "hot prefixes": "hot", "mixed": "hotwords"} {
					if strings.Contains(w.name, name) && !slices.Contains(keys, key) {
						t.Fatalf("tuning %q built no %q key", w.name, key)
					}
				}
				for _, qt := range queryTunings {
					s := e.store.Tuned(qt.t(users.DefaultTestTuning()))
					for _, tc := range searchCases {
						p := e.search(t, s, tc.q)
						if got := l.rows(p.Users); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
							t.Errorf("%s: %s (%s): got rows %v, want %v (plan %s)", qt.name, tc.name, describe(tc.q), got, tc.want, p.Plan)
						}
						if p.Total != int64(len(tc.want)) {
							t.Errorf("%s: %s: total %d, want %d (plan %s)", qt.name, tc.name, p.Total, len(tc.want), p.Plan)
						}
						if p.NextCursor != "" {
							t.Errorf("%s: %s: next cursor on the only page", qt.name, tc.name)
						}
					}
				}
			})
		}
	})
}

// sortCases list the whole fixture in each order, ascending; descending is
// the exact reverse (ties included).
var sortCases = []struct {
	sort users.SortField
	want []int
}{
	// "…papadopoulos" < "…papadopoulou"; the two John Smiths tie and keep
	// insertion order; Cyrillic sorts after Latin (byte order).
	{users.SortName, []int{9, 8, 5, 2, 10, 11, 13, 1, 3, 7, 14, 4, 6, 12}},
	{users.SortEmail, []int{8, 9, 5, 12, 3, 2, 13, 10, 1, 11, 7, 14, 4, 6}},
	{users.SortCreated, []int{13, 4, 6, 2, 8, 9, 1, 10, 11, 5, 7, 3, 12, 14}},
	// Never logged in first, by insertion; then by login, ties by insertion.
	{users.SortLastLogin, []int{3, 5, 6, 8, 9, 11, 12, 13, 14, 2, 7, 1, 4, 10}},
	{users.SortStatus, []int{8, 2, 10, 11, 1, 7, 14, 4, 6, 5, 9, 13, 3, 12}},
}

func TestSortOrdersAndCursorWalk(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, w := range writeTunings {
			t.Run(w.name, func(t *testing.T) {
				e := e.sibling(t)
				l := loadFixture(t, e, e.store.Tuned(w.t(users.DefaultTestTuning())))
				for _, qt := range queryTunings {
					s := e.store.Tuned(qt.t(users.DefaultTestTuning()))
					for _, tc := range sortCases {
						for _, desc := range []bool{false, true} {
							want := tc.want
							if desc {
								want = reversed(want)
							}
							for _, limit := range []int{1, 2, 3, 5, 13, 14, 50} {
								q := users.Query{Sort: tc.sort, Desc: desc, Limit: limit}
								if got := l.rows(e.searchAll(t, s, q)); !slices.Equal(got, want) {
									t.Errorf("%s: %s limit %d: got %v, want %v", qt.name, describe(q), limit, got, want)
								}
							}
						}
					}
				}
			})
		}
	})
}

func TestFilteredSortsAndPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		l := loadFixture(t, e, e.store)
		// The status order restricted to acme users with a "j" word, two per page.
		q := users.Query{Text: "j", Orgs: []string{"acme"}, Sort: users.SortStatus, Limit: 2}
		want := []int{2, 1, 14, 13} // active: Jane, José, Mary-Jane; suspended: Jose Garcia
		if got := l.rows(e.searchAll(t, e.store, q)); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", describe(q), got, want)
		}
		q.Desc = true
		if got := l.rows(e.searchAll(t, e.store, q)); !slices.Equal(got, reversed(want)) {
			t.Errorf("%s: got %v, want %v", describe(q), got, reversed(want))
		}
		// Totals stay exact on every page.
		q = users.Query{Roles: []string{"member"}, Sort: users.SortCreated, Limit: 3}
		p := e.search(t, e.store, q)
		for p.NextCursor != "" {
			if p.Total != 10 {
				t.Fatalf("total %d, want 10", p.Total)
			}
			q.Cursor = p.NextCursor
			p = e.search(t, e.store, q)
		}
	})
}
