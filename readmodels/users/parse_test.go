package users_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/readmodels/users"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		name      string
		raw       string
		want      users.Query
		wantParam string // the parameter an error names; "" for success
	}{
		{"nothing", "", users.Query{}, ""},
		{"everything", "q=jos%C3%A9&role=member,author&role=admin&org=acme&status=active&sort=-created&limit=20&other=1",
			users.Query{Text: "josé", Roles: []string{"member", "author", "admin"}, Orgs: []string{"acme"},
				Statuses: []string{"active"}, Sort: users.SortCreated, Desc: true, Limit: 20}, ""},
		{"spaces around values", "status=+active+,+suspended", users.Query{Statuses: []string{"active", "suspended"}}, ""},
		{"team and lock", "team=t1,t2&lock=locked", users.Query{Teams: []string{"t1", "t2"}, Locks: []string{"locked"}}, ""},
		{"unknown lock state", "lock=open", users.Query{}, "lock"},
		{"invitation states", "invitation=pending,+revoked&invitation=accepted",
			users.Query{Invitations: []string{"pending", "revoked", "accepted"}}, ""},
		{"unknown invitation state", "invitation=pending,expired", users.Query{}, "invitation"},
		{"empty invitation state", "invitation=", users.Query{}, "invitation"},
		{"onboarding statuses", "status=invited,unverified", users.Query{Statuses: []string{"invited", "unverified"}}, ""},
		{"last login sort", "sort=last_login", users.Query{Sort: users.SortLastLogin}, ""},
		{"unknown sort", "sort=age", users.Query{}, "sort"},
		{"bare minus", "sort=-", users.Query{}, "sort"},
		{"empty sort", "sort=", users.Query{}, "sort"},
		{"limit beyond any integer", "limit=99999999999999999999", users.Query{}, "limit"},
		{"NUL in q", "q=a%00b", users.Query{}, "q"},
		{"repeated sort", "sort=name&sort=email", users.Query{}, "sort"},
		{"zero limit", "limit=0", users.Query{}, "limit"},
		{"limit too big", "limit=201", users.Query{}, "limit"},
		{"limit not a number", "limit=ten", users.Query{}, "limit"},
		{"empty limit", "limit=", users.Query{}, "limit"},
		{"repeated q", "q=a&q=b", users.Query{}, "q"},
		{"q too long", "q=" + strings.Repeat("a", 257), users.Query{}, "q"},
		{"q not UTF-8", "q=%FF", users.Query{}, "q"},
		{"q with too many words", "q=a+b+c+d+e+f+g+h+i", users.Query{}, "q"},
		{"empty role", "role=", users.Query{}, "role"},
		{"empty value between commas", "org=a,,b", users.Query{}, "org"},
		{"value too long", "org=" + strings.Repeat("x", 257), users.Query{}, "org"},
		{"too many values", "status=" + strings.Repeat("s,", 100) + "s", users.Query{}, "status"},
		{"cursor not base64", "cursor=!!!", users.Query{}, "cursor"},
		{"empty cursor", "cursor=", users.Query{}, "cursor"},
		{"cursor garbage", "cursor=AAAA", users.Query{}, "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := users.ParseQuery(v)
			if tc.wantParam == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
				return
			}
			var pe *users.ParamError
			if !errors.As(err, &pe) || pe.Param != tc.wantParam || !errors.Is(err, users.ErrInvalidQuery) {
				t.Fatalf("error %v, want a *ParamError for %q", err, tc.wantParam)
			}
			if tc.wantParam == "cursor" && !errors.Is(err, users.ErrInvalidCursor) {
				t.Errorf("error %v, want ErrInvalidCursor", err)
			}
		})
	}
}

// TestCursorOfAnotherQueryIsRejected: a cursor continues the query that
// issued it, whatever the order of its filters and values, and nothing
// else.
func TestCursorOfAnotherQueryIsRejected(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		loadFixture(t, e, e.store)
		first := "status=active,suspended&q=a"
		v, _ := url.ParseQuery(first + "&limit=1")
		q, err := users.ParseQuery(v)
		if err != nil {
			t.Fatal(err)
		}
		p := e.search(t, e.store, q)
		if p.NextCursor == "" {
			t.Fatalf("%s: one page only (%d users); the fixture needs more", first, p.Total)
		}
		for _, tc := range []struct {
			raw  string
			want error
		}{
			{"status=suspended,active&q=a&limit=5", nil},
			{"status=suspended&status=active&q=A", nil},
			{"status=active&q=a", users.ErrInvalidCursor},
			{"status=active,suspended", users.ErrInvalidCursor},
			{"status=active,suspended&q=an", users.ErrInvalidCursor},
			{"status=active,suspended&q=a&role=author", users.ErrInvalidCursor},
		} {
			v, _ := url.ParseQuery(tc.raw)
			v.Set("cursor", p.NextCursor)
			q, err := users.ParseQuery(v)
			if err == nil {
				_, err = e.store.Search(t.Context(), q)
			}
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("%s with the cursor of %s: %v, want %v", tc.raw, first, err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), "another query") {
				t.Errorf("%s: %q does not say the cursor belongs to another query", tc.raw, err)
			}
		}
	})
}

func TestCursorOfAnotherSortIsRejected(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		loadFixture(t, e, e.store)
		p := e.search(t, e.store, users.Query{Limit: 1})
		for _, raw := range []string{"sort=email", "sort=-name"} {
			v, _ := url.ParseQuery(raw)
			v.Set("cursor", p.NextCursor)
			if _, err := users.ParseQuery(v); !errors.Is(err, users.ErrInvalidCursor) {
				t.Errorf("%s with a name cursor: %v, want ErrInvalidCursor", raw, err)
			}
		}
		_, err := e.store.Search(t.Context(), users.Query{Sort: users.SortCreated, Cursor: p.NextCursor})
		if !errors.Is(err, users.ErrInvalidCursor) {
			t.Errorf("search: %v, want ErrInvalidCursor", err)
		}
		for _, q := range []users.Query{{Limit: -1}, {Limit: 201}, {Sort: "age"}} {
			if _, err := e.store.Search(t.Context(), q); !errors.Is(err, users.ErrInvalidQuery) {
				t.Errorf("search %+v: %v, want ErrInvalidQuery", q, err)
			}
		}
	})
}

// FuzzParseQuery: ParseQuery never panics, fails only with a *ParamError,
// and what it returns validates.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "q=jos%C3%A9+n%C3%BA%C3%B1ez&sort=-last_login&limit=200",
		"role=a,b&role=c&org=x&status=active,suspended", "cursor=AQZuYQBhYWFh", "limit=-1", "sort=-",
		"invitation=pending,accepted&status=invited", "cursor=Am4A47DEQpj8HBRhbm4AAAAAAQ", "cursor=Am4A47DEQpj8HBRhbm4AAAAAAQ&q=ann",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := users.ParseQuery(v)
		if err != nil {
			var pe *users.ParamError
			if !errors.As(err, &pe) || !errors.Is(err, users.ErrInvalidQuery) {
				t.Fatalf("ParseQuery(%q): error %v is not a *ParamError", raw, err)
			}
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("ParseQuery(%q) = %+v, which does not validate: %v", raw, q, err)
		}
	})
}
