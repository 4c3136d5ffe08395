package users_test

import (
	"math/rand/v2"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/fakeusers"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// benchData is the benchmark data set: the shared generated population
// (infra/fakeusers, also what `usermgmt dev seed` creates), seen as read
// model docs. Users are generated from their index, so a benchmark can
// regenerate any user to pick query terms without reading Redis.
type benchData struct {
	fakeusers.Population
	n, smallOrgs int
}

func newBenchData(n int) benchData {
	p := fakeusers.New(n)
	return benchData{Population: p, n: n, smallOrgs: p.SmallOrgs}
}

// bigOrgs are the generated population's large organizations.
var bigOrgs = func() []struct{ id string } {
	var out []struct{ id string }
	for _, o := range fakeusers.BigOrgs {
		out = append(out, struct{ id string }{o.ID})
	}
	return out
}()

func smallOrgID(k int) string { return fakeusers.SmallOrgID(k) }

// doc generates user i as the projector would put it.
func (d benchData) doc(i int) users.Doc {
	p := d.Person(i)
	r := rand.New(rand.NewPCG(11, uint64(i)))
	doc := users.Doc{
		ID: p.ID, Revision: int64(1 + r.IntN(20)),
		Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		Roles: p.Roles, Org: p.Org, Status: p.Status,
		Created: p.Created, LastLogin: p.LastLogin, Deleted: p.Status == "deleted",
	}
	if p.Note != "" {
		doc.Notes = []users.Note{{ID: uuid.NewSHA1(p.ID, []byte("note")), At: p.Created, Author: "admin", Text: p.Note}}
	}
	return doc
}
