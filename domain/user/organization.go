package user

import (
	"strings"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// MaxOrgIDLength bounds an organization ID.
const MaxOrgIDLength = 128

// normalizeOrgID trims an organization ID and checks it is a plain token
// (ASCII letters, digits, '-', '_', '.', ':'), so it can go into stream
// names and read-model keys unescaped. Empty means no organization. Whether
// the organization exists is for the command layer to check.
func normalizeOrgID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if len(id) > MaxOrgIDLength {
		return "", domain.Invalid("org_id", domain.CodeTooLong, "must be at most 128 characters")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("-_.:", rune(c)) {
			return "", domain.Invalid("org_id", domain.CodeInvalid, "must be an organization ID")
		}
	}
	return id, nil
}

// ChangeOrganization moves the user to the organization orgID, or out of
// any organization when orgID is empty. No event is returned when the user
// is already there.
func (u *User) ChangeOrganization(orgID string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	orgID, err := normalizeOrgID(orgID)
	if err != nil {
		return nil, err
	}
	return u.record(u.changeOrganization(orgID, now)...)
}

func (u *User) changeOrganization(orgID string, now time.Time) []domain.Event {
	if orgID == u.orgID {
		return nil
	}
	return []domain.Event{OrganizationChanged{
		UserID:        u.id,
		OrgID:         orgID,
		PreviousOrgID: u.orgID,
		At:            eventTime(now),
	}}
}
