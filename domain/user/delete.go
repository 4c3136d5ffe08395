package user

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// Delete ends the user with the given data handling, Soft or Anonymize.
// Deletion is final: afterwards every command fails with ErrDeleted, and so
// does deleting again, with one exception: a soft-deleted user can still be
// anonymized, because an erasure request may arrive after a soft deletion
// and must be honoured. Deleting a suspended user is allowed.
func (u *User) Delete(handling DataHandling, now time.Time) ([]domain.Event, error) {
	if !u.created {
		return nil, ErrNoUser
	}
	if u.status == StatusDeleted && !(u.dataHandling == Soft && handling == Anonymize) {
		return nil, ErrDeleted
	}
	if handling != Soft && handling != Anonymize {
		return nil, domain.Invalid("data_handling", domain.CodeInvalid, `must be "soft" or "anonymize"`)
	}
	return u.record(Deleted{UserID: u.id, DataHandling: handling, At: eventTime(now)})
}
