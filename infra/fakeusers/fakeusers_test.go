package fakeusers_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/infra/fakeusers"
)

func TestDeterministic(t *testing.T) {
	a, b := fakeusers.New(1000), fakeusers.New(1000)
	for _, i := range []int{0, 1, 17, 999} {
		if !reflect.DeepEqual(a.Person(i), b.Person(i)) {
			t.Fatalf("person %d differs between two generations", i)
		}
	}
	if a.Person(1).ID == a.Person(2).ID {
		t.Fatal("two people share an ID")
	}
}

// TestShape checks the population has the skews the benchmarks rely on.
func TestShape(t *testing.T) {
	const n = 20000
	p := fakeusers.New(n)
	var active, suspended, big, accented, withLogin int
	orgs := map[string]int{}
	for i := range n {
		u := p.Person(i)
		switch u.Status {
		case "active":
			active++
		case "suspended":
			suspended++
		}
		if strings.HasPrefix(u.Org, "org-globex") || strings.HasPrefix(u.Org, "org-initech") || strings.HasPrefix(u.Org, "org-umbrella") {
			big++
		}
		orgs[u.Org]++
		if strings.ContainsFunc(u.FirstName+u.LastName, func(r rune) bool { return r > 127 }) {
			accented++
		}
		if !u.LastLogin.IsZero() {
			withLogin++
		}
		if u.Created.After(fakeusers.Epoch) || !strings.Contains(u.Email, "@") {
			t.Fatalf("person %d: %+v", i, u)
		}
	}
	within := func(name string, got int, lo, hi float64) {
		t.Helper()
		if f := float64(got) / n; f < lo || f > hi {
			t.Errorf("%s: %.3f of the population, want %.2f..%.2f", name, f, lo, hi)
		}
	}
	within("active", active, 0.82, 0.88)
	within("suspended", suspended, 0.10, 0.14)
	within("in big orgs", big, 0.44, 0.46)
	within("with accents", accented, 0.25, 0.75)
	within("with a last login", withLogin, 0.37, 0.43)
	if len(orgs) < 300 {
		t.Errorf("only %d organizations", len(orgs))
	}
}
