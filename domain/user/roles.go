package user

import (
	"fmt"
	"slices"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// MaxRoleKeyLength bounds a role key.
const MaxRoleKeyLength = 64

// NormalizeRoles validates role keys and returns them sorted and without
// duplicates, nil for none. A role key is a lowercase slug,
// [a-z][a-z0-9_-]{0,63}; keys are not lower-cased here, because a key is an
// identifier and "Admin" is a typo to report, not to guess at.
//
// Whether a key names a role that exists is not checked: role keys stay
// plain strings until the role catalogue exists.
//
// Errors are *domain.ValidationError on the field "roles", one entry per
// bad key.
func NormalizeRoles(keys []string) ([]string, error) {
	var bad []domain.FieldError
	for _, k := range keys {
		if !validRoleKey(k) {
			bad = append(bad, domain.FieldError{
				Field:   "roles",
				Code:    domain.CodeInvalid,
				Message: fmt.Sprintf("%q is not a role key (lowercase letter, then up to 63 of a-z, 0-9, _ and -)", k),
			})
		}
	}
	if bad != nil {
		return nil, &domain.ValidationError{Fields: bad}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out), nil
}

func validRoleKey(k string) bool {
	if k == "" || len(k) > MaxRoleKeyLength || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// AssignRoles gives the user the role keys it does not hold yet. Keys
// already held are skipped; when none is new, no event is returned.
func (u *User) AssignRoles(keys []string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	keys, err := NormalizeRoles(keys)
	if err != nil {
		return nil, err
	}
	return u.record(u.assignRoles(keys, now)...)
}

// UnassignRoles takes role keys away from the user. Keys not held are
// skipped; when none is held, no event is returned.
func (u *User) UnassignRoles(keys []string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	keys, err := NormalizeRoles(keys)
	if err != nil {
		return nil, err
	}
	return u.record(u.unassignRoles(keys, now)...)
}

// assignRoles decides without applying; keys are normalized.
func (u *User) assignRoles(keys []string, now time.Time) []domain.Event {
	added := difference(keys, u.roles)
	if len(added) == 0 {
		return nil
	}
	return []domain.Event{RolesAssigned{UserID: u.id, Roles: added, At: eventTime(now)}}
}

// unassignRoles decides without applying; keys are normalized.
func (u *User) unassignRoles(keys []string, now time.Time) []domain.Event {
	removed := intersection(keys, u.roles)
	if len(removed) == 0 {
		return nil
	}
	return []domain.Event{RolesUnassigned{UserID: u.id, Roles: removed, At: eventTime(now)}}
}

// union, difference and intersection return new sorted, duplicate-free
// key lists, nil when empty. union accepts any input (apply uses it to make
// stored lists safe to search); difference and intersection need their
// second argument sorted.

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func difference(a, b []string) []string {
	var out []string
	for _, k := range a {
		if _, found := slices.BinarySearch(b, k); !found {
			out = append(out, k)
		}
	}
	return out
}

func intersection(a, b []string) []string {
	var out []string
	for _, k := range a {
		if _, found := slices.BinarySearch(b, k); found {
			out = append(out, k)
		}
	}
	return out
}
