package users_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// The oracle: a brute-force model of Search over ASCII-only data, where
// folding is lower-casing, to check the read model against.

var (
	oracleFirst  = []string{"Ana", "Anabel", "Andrea", "Andreas", "Bob", "Bobby", "Carla", "Carlos", "Dora", "Doris", "Eve", "Evelyn", "Frank", "Franka"}
	oracleLast   = []string{"Smith", "Smithson", "Stone", "Stoner", "Miller", "Milner", "Garcia", "Garcias", "Lee", "Leeds", "Van Der Berg"}
	oracleDomain = []string{"example.com", "acme.org", "mail.example.net", "beta.io"}
	oracleStatus = []string{"active", "active", "active", "active", "suspended", "invited", "unverified"}
	oracleInvite = []string{users.InvitationPending, users.InvitationRevoked, users.InvitationAccepted}
	oracleRoles  = []string{"member", "author", "expert", "vendor", "admin"}
	oracleOrgs   = []string{"big-1", "big-2", "small-1", "small-2", "small-3", ""}
)

// randomDocs returns n ASCII users drawn from small lists, so names, words,
// prefixes and sort values collide often.
func randomDocs(r *rand.Rand, n int) []users.Doc {
	docs := make([]users.Doc, n)
	for i := range docs {
		first, last := oracleFirst[r.IntN(len(oracleFirst))], oracleLast[r.IntN(len(oracleLast))]
		d := users.Doc{
			ID:        uuid.New(),
			FirstName: first,
			LastName:  last,
			Email: fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ReplaceAll(strings.ToLower(last), " ", ""),
				r.IntN(50), oracleDomain[r.IntN(len(oracleDomain))]),
			Status:  oracleStatus[r.IntN(len(oracleStatus))],
			Org:     oracleOrgs[r.IntN(len(oracleOrgs))],
			Created: day(r.IntN(60)),
		}
		if r.IntN(2) == 0 {
			d.LastLogin = day(60 + r.IntN(30))
		}
		d.Roles = []string{oracleRoles[r.IntN(2)]}
		if r.IntN(8) == 0 {
			d.Roles = append(d.Roles, oracleRoles[2+r.IntN(3)])
		}
		if r.IntN(3) == 0 {
			d.Invitation, d.InvitationSentAt = oracleInvite[r.IntN(len(oracleInvite))], d.Created
		}
		docs[i] = d
	}
	return docs
}

func oracleWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func oracleNameKey(d users.Doc) string {
	return strings.Join(oracleWords(d.FirstName+" "+d.LastName), " ")
}

func oracleMatches(d users.Doc, q users.Query) bool {
	docWords := oracleWords(d.FirstName + " " + d.LastName + " " + d.Email)
	for _, chunk := range strings.Fields(q.Text) {
		if local, _, ok := strings.Cut(chunk, "@"); ok && local != "" {
			if !strings.HasPrefix(strings.ToLower(d.Email), strings.ToLower(chunk)) {
				return false
			}
			continue
		}
		for _, term := range oracleWords(chunk) {
			if !slices.ContainsFunc(docWords, func(w string) bool { return strings.HasPrefix(w, term) }) {
				return false
			}
		}
	}
	anyOf := func(filter []string, has func(string) bool) bool {
		return len(filter) == 0 || slices.ContainsFunc(filter, has)
	}
	return anyOf(q.Roles, func(r string) bool { return slices.Contains(d.Roles, r) }) &&
		anyOf(q.Orgs, func(o string) bool { return o == d.Org }) &&
		anyOf(q.Statuses, func(s string) bool { return s == d.Status }) &&
		anyOf(q.Invitations, func(s string) bool { return s == d.Invitation })
}

// oracleSearch returns every doc matching q in q's order.
func oracleSearch(docs []users.Doc, q users.Query) []users.Doc {
	var out []users.Doc
	for _, d := range docs {
		if oracleMatches(d, q) {
			out = append(out, d)
		}
	}
	ms := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli()
	}
	slices.SortFunc(out, func(a, b users.Doc) int {
		var c int
		switch q.Sort {
		case users.SortName, "":
			c = strings.Compare(oracleNameKey(a), oracleNameKey(b))
		case users.SortEmail:
			c = strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
		case users.SortCreated:
			c = cmp.Compare(ms(a.Created), ms(b.Created))
		case users.SortLastLogin:
			c = cmp.Compare(ms(a.LastLogin), ms(b.LastLogin))
		case users.SortStatus:
			c = cmp.Or(strings.Compare(a.Status, b.Status), strings.Compare(oracleNameKey(a), oracleNameKey(b)))
		}
		c = cmp.Or(c, cmp.Compare(a.Num, b.Num))
		if q.Desc {
			return -c
		}
		return c
	})
	return out
}

// randomQuery draws a query over randomDocs' vocabulary and emails.
func randomQuery(r *rand.Rand, docs []users.Doc) users.Query {
	var q users.Query
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	prefix := func(w string) string { return strings.ToLower(w[:1+r.IntN(len(w))]) }
	switch r.IntN(6) {
	case 0:
		q.Text = prefix(pick(oracleFirst))
	case 1:
		q.Text = prefix(pick(oracleFirst)) + " " + prefix(pick(oracleLast))
	case 2:
		q.Text = prefix(pick(oracleDomain))
	case 3:
		q.Text = strings.ToLower(pick(oracleFirst)) + "." + strings.ReplaceAll(prefix(pick(oracleLast)), " ", "")
	case 4:
		email := docs[r.IntN(len(docs))].Email
		at := strings.Index(email, "@")
		q.Text = strings.ToUpper(email[:at+1+r.IntN(len(email)-at)])
	}
	if r.IntN(3) == 0 {
		q.Roles = []string{pick(oracleRoles)}
		if r.IntN(3) == 0 {
			q.Roles = append(q.Roles, pick(oracleRoles))
		}
	}
	if r.IntN(3) == 0 {
		q.Orgs = []string{pick(oracleOrgs[:5])}
		if r.IntN(3) == 0 {
			q.Orgs = append(q.Orgs, pick(oracleOrgs[:5]))
		}
	}
	if r.IntN(3) == 0 {
		q.Statuses = []string{pick(oracleStatus)}
		if r.IntN(3) == 0 {
			q.Statuses = append(q.Statuses, pick(oracleStatus))
		}
	}
	if r.IntN(4) == 0 {
		q.Invitations = []string{pick(oracleInvite)}
		if r.IntN(3) == 0 {
			q.Invitations = append(q.Invitations, pick(oracleInvite))
		}
	}
	q.Sort = []users.SortField{users.SortName, users.SortEmail, users.SortCreated, users.SortLastLogin, users.SortStatus}[r.IntN(5)]
	q.Desc = r.IntN(2) == 0
	q.Limit = 1 + r.IntN(40)
	return q
}
