package users_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/readmodels/users"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return epoch.Add(time.Duration(n) * 24 * time.Hour) }

// person is a row of the fixture: the fields the tests vary.
type person struct {
	first, last, email, status, org string
	roles                           []string
	created, login                  int // days after epoch; login -1 for never
}

// fixture is the hand-made data set most tests search. Tests refer to its
// users by their 1-based row number. Accents, shared prefixes, equal names,
// ties in every sort value and several scripts are deliberate.
var fixture = []person{
	1:  {"José", "Núñez", "jose.nunez@example.com", "active", "acme", []string{"member"}, 5, 20},
	2:  {"Jane", "Doe", "jane@acme.com", "active", "acme", []string{"member", "author"}, 3, 15},
	3:  {"Jürgen", "Groß", "j.gross@beispiel.de", "suspended", "beta", []string{"member"}, 9, -1},
	4:  {"Søren", "Ørsted", "soren@example.dk", "active", "beta", []string{"expert"}, 1, 25},
	5:  {"François", "Lefèvre", "francois@acme.fr", "invited", "", []string{"vendor"}, 7, -1},
	6:  {"Zoë", "Saldaña", "zoe@example.com", "active", "gamma", []string{"member", "admin"}, 2, -1},
	7:  {"Łukasz", "Wójcik", "lukasz.wojcik@example.pl", "active", "acme", []string{"author"}, 8, 15},
	8:  {"Alexandrina", "Konstantinopoulou-Papadopoulou", "alexandrina1@example.gr", "active", "gamma", []string{"member"}, 4, -1},
	9:  {"Alexandrina", "Konstantinopoulou-Papadopoulos", "alexandrina2@example.gr", "suspended", "gamma", []string{"member"}, 4, -1},
	10: {"John", "Smith", "john.smith@example.com", "active", "", []string{"member"}, 6, 30},
	11: {"John", "Smith", "jsmith@example.org", "active", "beta", []string{"member"}, 6, -1},
	12: {"Иван", "Петров", "ivan@example.ru", "unverified", "", []string{"member"}, 10, -1},
	13: {"Jose", "Garcia", "jgarcia@example.es", "suspended", "acme", []string{"member"}, 0, -1},
	14: {"Mary-Jane", "O'Brien", "mj.obrien@acme.com", "active", "acme", []string{"author"}, 11, -1},
}

// fixtureTeams, fixtureLocked, fixtureInvitations and fixtureSignUps add
// team memberships, account locks, invitations and sign-up attributes to
// fixture rows, by email.
var (
	fixtureTeams = map[string][]users.Team{
		"jane@acme.com":            {{ID: "t1", Role: "lead"}},
		"lukasz.wojcik@example.pl": {{ID: "t1"}},
		"mj.obrien@acme.com":       {{ID: "t1"}, {ID: "t2", Role: "member"}},
	}
	fixtureLocked = map[string]time.Time{
		"j.gross@beispiel.de":      {},
		"lukasz.wojcik@example.pl": day(40),
	}
	// Invited and still pending (one suspended meanwhile), revoked, and
	// accepted by now active users.
	fixtureInvitations = map[string]invitation{
		"francois@acme.fr":         {users.InvitationPending, 7, 14},
		"jgarcia@example.es":       {users.InvitationPending, 0, 7},
		"j.gross@beispiel.de":      {users.InvitationRevoked, 9, 0},
		"jane@acme.com":            {users.InvitationAccepted, 3, 0},
		"lukasz.wojcik@example.pl": {users.InvitationAccepted, 8, 0},
	}
	fixtureSignUps = map[string]map[string]string{
		"ivan@example.ru": {"department": "Закупки", "newsletter": "true"},
	}
)

// invitation is a fixture user's invitation: its state, and the days
// after epoch it was sent and expires (0: no expiry).
type invitation struct {
	state         string
	sent, expires int
}

func (p person) doc() users.Doc {
	d := users.Doc{
		ID: uuid.New(), Revision: 1, Email: p.email, FirstName: p.first, LastName: p.last,
		Roles: p.roles, Org: p.org, Status: p.status, Created: day(p.created),
		Teams: fixtureTeams[p.email],
	}
	d.TwoFactor = p.email == "zoe@example.com" || p.email == "jane@acme.com"
	if until, ok := fixtureLocked[p.email]; ok {
		d.Locked, d.LockedUntil = true, until
	}
	if p.org != "" {
		d.OrgRole = "member"
	}
	if p.login >= 0 {
		d.LastLogin = day(p.login)
	}
	if inv, ok := fixtureInvitations[p.email]; ok {
		d.Invitation, d.InvitationSentAt = inv.state, day(inv.sent)
		if inv.expires > 0 {
			d.InvitationExpiresAt = day(inv.expires)
		}
	}
	if attrs, ok := fixtureSignUps[p.email]; ok {
		d.Source, d.Attributes = "registration", attrs
	}
	return d
}

// loaded is the fixture as stored: docs[i] is row i.
type loaded struct {
	docs []users.Doc
	row  map[uuid.UUID]int
}

// loadFixture inserts the fixture in row order, so numbers follow rows.
func loadFixture(t *testing.T, e *env, s *users.Store) loaded {
	t.Helper()
	l := loaded{docs: make([]users.Doc, len(fixture)), row: map[uuid.UUID]int{}}
	for i := 1; i < len(fixture); i++ {
		l.docs[i] = e.insert(t, s, fixture[i].doc())[0]
		l.row[l.docs[i].ID] = i
	}
	return l
}

// rows names found users by fixture row.
func (l loaded) rows(found []users.Doc) []int {
	out := make([]int, len(found))
	for i, d := range found {
		out[i] = l.row[d.ID]
	}
	return out
}

// all returns every row number.
func (l loaded) all() []int {
	var out []int
	for i := 1; i < len(l.docs); i++ {
		out = append(out, i)
	}
	return out
}

func reversed(rows []int) []int {
	out := slices.Clone(rows)
	slices.Reverse(out)
	return out
}

func describe(q users.Query) string {
	var parts []string
	if q.Text != "" {
		parts = append(parts, fmt.Sprintf("q=%q", q.Text))
	}
	for _, f := range []struct {
		name string
		v    []string
	}{{"role", q.Roles}, {"org", q.Orgs}, {"status", q.Statuses}, {"invitation", q.Invitations}} {
		if len(f.v) > 0 {
			parts = append(parts, f.name+"="+strings.Join(f.v, ","))
		}
	}
	if q.Sort != "" {
		s := string(q.Sort)
		if q.Desc {
			s = "-" + s
		}
		parts = append(parts, "sort="+s)
	}
	return strings.Join(parts, "&")
}
