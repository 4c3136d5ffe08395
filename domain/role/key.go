package role

import (
	"regexp"

	"github.com/clarynext/usermgmt/domain"
)

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// CheckKey returns a *domain.ValidationError on "key" unless key is a role
// slug: a lowercase letter, then up to 63 of a-z, 0-9, _ and -. Callers
// check a key before they build a stream name from it.
func CheckKey(key string) error {
	if !keyPattern.MatchString(key) {
		return domain.Invalid("key", domain.CodeInvalid, "lowercase letter, then up to 63 of a-z, 0-9, _ and -")
	}
	return nil
}
