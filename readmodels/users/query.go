package users

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// SortField names a sort order of the user list.
type SortField string

// The sort orders. Every order is total: ties fall back to the order in
// which users were first indexed.
const (
	// SortName orders by first then last name, folded (case and accents
	// ignored). The zero SortField means SortName.
	SortName SortField = "name"
	// SortEmail orders by the folded email address.
	SortEmail SortField = "email"
	// SortCreated orders by creation time.
	SortCreated SortField = "created"
	// SortLastLogin orders by last login; users who never logged in come
	// first ascending and last descending.
	SortLastLogin SortField = "last_login"
	// SortStatus orders by status (byte order of the status values), then
	// by name.
	SortStatus SortField = "status"
)

// sortFields lists the valid sort fields, for error messages.
var sortFields = []SortField{SortName, SortEmail, SortCreated, SortLastLogin, SortStatus}

// Limits of a query.
const (
	DefaultLimit  = 50
	MaxLimit      = 200
	maxTextBytes  = 256
	maxTextTerms  = 8
	maxFilterVals = 100
	maxValueBytes = 256
)

// Query asks for one page of the user list.
type Query struct {
	// Text is a word-prefix search over name and email: every word of Text
	// must be the start of some word of the user's first name, last name,
	// email local part or email domain, ignoring case and accents ("jose"
	// finds "José Núñez", "acme" finds "jane@acme.com"). Words are runs of
	// letters or of digits ("jane42" is "jane" and "42"). A space-separated
	// part holding "@" must instead be a prefix of the whole email
	// ("jane@acme" finds "jane@acme.com"); one starting with "@" matches
	// domain words.
	Text string
	// Roles, Orgs and Statuses filter the list: a user matches a field
	// holding several values if it matches any of them, and must match
	// every non-empty field.
	Roles, Orgs, Statuses []string
	// Teams filters by team ID; Locks by lock state (only LockLocked);
	// TwoFactors by second factor (only TwoFactorEnabled); Invitations by
	// the state of the latest invitation (InvitationPending,
	// InvitationRevoked, InvitationAccepted).
	Teams, Locks, TwoFactors, Invitations []string
	Sort                                  SortField
	Desc                                  bool
	// Cursor is Page.NextCursor of the previous page, empty for the first.
	// It continues only the query that returned it: Search refuses it with
	// ErrInvalidCursor for other text or filters, or another sort.
	Cursor string
	// Limit is the page size, 1..MaxLimit; 0 means DefaultLimit.
	Limit int
}

// Validate reports the first invalid field as a *ParamError. Of a cursor
// it checks the form only: whether the cursor belongs to the query is
// known only to Search, once the caller has added what it adds (default
// filters, a scope).
func (q Query) Validate() error {
	_, err := q.normalize()
	return err
}

// plan is a validated query in the form the search script takes.
type plan struct {
	sort   SortField
	desc   bool
	limit  int
	cursor string // decoded position, "" for the first page
	// print is queryPrint(fields), which the page's cursor carries;
	// cursorPrint is the one the given cursor carries ("" without one).
	print, cursorPrint string
	// fields are AND-ed; the sources of one field are OR-ed.
	fields [][]source
}

// source is one set of users: a group, or a word or email prefix.
type source struct {
	kind  string // "g" group, "p" word prefix of 4+ runes, "e" email prefix
	value string
}

func (q Query) normalize() (plan, error) {
	p := plan{sort: q.Sort, desc: q.Desc, limit: q.Limit}
	if p.sort == "" {
		p.sort = SortName
	}
	if !slices.Contains(sortFields, p.sort) {
		return plan{}, paramError("sort", "unknown sort field %q (want one of %s)", q.Sort, sortFieldList())
	}
	switch {
	case q.Limit == 0:
		p.limit = DefaultLimit
	case q.Limit < 1 || q.Limit > MaxLimit:
		return plan{}, paramError("limit", "%d is out of range 1..%d", q.Limit, MaxLimit)
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return plan{}, err
		}
		if c.sort != p.sort || c.desc != p.desc {
			return plan{}, cursorError("issued for another sort order")
		}
		p.cursor, p.cursorPrint = c.pos, c.query
	}
	text, err := textSources(q.Text)
	if err != nil {
		return plan{}, err
	}
	for _, t := range text {
		p.fields = append(p.fields, []source{t})
	}
	for _, v := range q.TwoFactors {
		if v != TwoFactorEnabled {
			return plan{}, paramError("two_factor", "unknown value %q (want %q)", v, TwoFactorEnabled)
		}
	}
	for _, l := range q.Locks {
		if l != LockLocked {
			return plan{}, paramError("lock", "unknown lock state %q (want %q)", l, LockLocked)
		}
	}
	for _, s := range q.Invitations {
		if !slices.Contains(invitationStates, s) {
			return plan{}, paramError("invitation", "unknown invitation state %q (want one of %s)",
				s, strings.Join(invitationStates, ", "))
		}
	}
	for _, f := range []struct {
		param  string
		values []string
		group  func(string) string
	}{
		{"role", q.Roles, roleGroup},
		{"org", q.Orgs, orgGroup},
		{"status", q.Statuses, statusGroup},
		{"team", q.Teams, teamGroup},
		{"lock", q.Locks, lockGroup},
		{"two_factor", q.TwoFactors, twoFactorGroup},
		{"invitation", q.Invitations, invitationGroup},
	} {
		field, err := filterSources(f.param, f.values, f.group)
		if err != nil {
			return plan{}, err
		}
		if len(field) > 0 {
			p.fields = append(p.fields, field)
		}
	}
	p.print = queryPrint(p.fields)
	return p, nil
}

func sortFieldList() string {
	names := make([]string, len(sortFields))
	for i, f := range sortFields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// filterSources checks the values of one filter field and turns them into
// group sources, without duplicates.
func filterSources(param string, values []string, group func(string) string) ([]source, error) {
	if len(values) > maxFilterVals {
		return nil, paramError(param, "%d values, at most %d allowed", len(values), maxFilterVals)
	}
	var out []source
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		switch {
		case v == "":
			return nil, paramError(param, "empty value")
		case len(v) > maxValueBytes:
			return nil, paramError(param, "value longer than %d bytes", maxValueBytes)
		case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
			return nil, paramError(param, "value %q is not valid text", v)
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, source{kind: "g", value: group(v)})
		}
	}
	return out, nil
}

// textSources turns search text into AND-ed sources: one per distinct word.
// A word that is a prefix of another query word adds nothing and is dropped.
func textSources(text string) ([]source, error) {
	switch {
	case len(text) > maxTextBytes:
		return nil, paramError("q", "longer than %d bytes", maxTextBytes)
	case !utf8.ValidString(text):
		return nil, paramError("q", "not valid UTF-8")
	case strings.ContainsRune(text, 0):
		return nil, paramError("q", "holds a NUL character")
	}
	var emails, terms []string
	for _, chunk := range strings.Fields(text) {
		local, domain, isEmail := strings.Cut(chunk, "@")
		switch {
		case isEmail && local != "":
			if e := emailKey(chunk); e != "" {
				emails = append(emails, e)
			}
		case isEmail:
			terms = append(terms, words(fold(domain))...)
		default:
			terms = append(terms, words(fold(chunk))...)
		}
	}
	emails, terms = dropCovered(emails), dropCovered(terms)
	if n := len(emails) + len(terms); n > maxTextTerms {
		return nil, paramError("q", "%d distinct words (a word that starts another counts once), at most %d allowed", n, maxTextTerms)
	}
	var out []source
	for _, e := range emails {
		out = append(out, source{kind: "e", value: e})
	}
	for _, t := range terms {
		if utf8.RuneCountInString(t) <= shortPrefix {
			out = append(out, source{kind: "g", value: prefixGroup(t)})
		} else {
			out = append(out, source{kind: "p", value: t})
		}
	}
	return out, nil
}

// dropCovered removes duplicates and every string that is a prefix of
// another: under AND of prefix matches the longer one implies it.
func dropCovered(ss []string) []string {
	var out []string
	for i, s := range ss {
		covered := false
		for j, o := range ss {
			if i != j && strings.HasPrefix(o, s) && (len(o) > len(s) || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	return out
}
