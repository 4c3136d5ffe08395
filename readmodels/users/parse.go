package users

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// ParseQuery reads a user-list query from URL parameters:
//
//	q       search text (at most once)
//	role    role filter; repeat it or separate values by commas
//	org     organization filter, likewise
//	status  status filter, likewise (any status: active, suspended,
//	        deleted, invited, unverified)
//	team    team filter (team IDs), likewise
//	lock    "locked": only users whose account is locked
//	two_factor  "enabled": only users with a confirmed second factor
//	invitation  state of the latest invitation: pending, revoked or
//	        accepted; repeat it or separate values by commas
//	sort    name, email, created, last_login or status; a leading "-"
//	        sorts descending (default name)
//	limit   page size 1..200 (default 50)
//	cursor  NextCursor of the previous page
//
// Other parameters are ignored. Errors are *ParamError values naming the
// parameter; a Query it returns passes Validate.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	for _, name := range []string{"q", "sort", "limit", "cursor"} {
		if len(v[name]) > 1 {
			return Query{}, paramError(name, "given %d times, at most once allowed", len(v[name]))
		}
	}
	q.Text = v.Get("q")
	if s, ok := v["sort"]; ok {
		if s[0] == "" {
			return Query{}, paramError("sort", "empty (want one of %s, or leave sort out)", sortFieldList())
		}
		name, desc := strings.CutPrefix(s[0], "-")
		if name == "" {
			return Query{}, paramError("sort", "%q names no field (want one of %s)", s[0], sortFieldList())
		}
		q.Sort, q.Desc = SortField(name), desc
	}
	if s, ok := v["limit"]; ok {
		n, err := strconv.Atoi(s[0])
		if errors.Is(err, strconv.ErrRange) {
			return Query{}, paramError("limit", "%s is out of range 1..%d", s[0], MaxLimit)
		}
		if err != nil {
			return Query{}, paramError("limit", "%q is not a whole number", s[0])
		}
		if n < 1 || n > MaxLimit {
			return Query{}, paramError("limit", "%d is out of range 1..%d", n, MaxLimit)
		}
		q.Limit = n
	}
	if s, ok := v["cursor"]; ok {
		if s[0] == "" {
			return Query{}, cursorError("empty")
		}
		q.Cursor = s[0]
	}
	q.Roles = listParam(v["role"])
	q.Orgs = listParam(v["org"])
	q.Statuses = listParam(v["status"])
	q.Teams = listParam(v["team"])
	q.Locks = listParam(v["lock"])
	q.TwoFactors = listParam(v["two_factor"])
	q.Invitations = listParam(v["invitation"])
	if err := q.Validate(); err != nil {
		return Query{}, err
	}
	return q, nil
}

// listParam splits repeated, comma-separated values. Empty values are kept
// so that Validate reports them.
func listParam(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}
