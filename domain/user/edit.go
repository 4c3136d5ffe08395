package user

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// Patch is a partial edit of a user, as the admin "Edit" form sends it: a
// nil field is left as it is.
type Patch struct {
	FirstName *string
	LastName  *string
	Email     *string
	// Roles, when set, is the complete new set of role keys; the difference
	// to the current set becomes RolesUnassigned and RolesAssigned.
	Roles *[]string
	// OrgID, when set, is the new organization; "" removes it. Moving ends
	// the user's team memberships (see Transfer).
	OrgID *string
	// Status, when set, is StatusActive or StatusSuspended. Deletion is not
	// an edit; it needs a data-handling choice (see Delete).
	Status *Status
	// SuspensionReason goes with Status StatusSuspended only. It is
	// recorded when the patch suspends the user; on a user already
	// suspended it must be the recorded reason (or empty).
	SuspensionReason string
}

// Edit applies a patch and returns the events of every part that changes
// something, in the order name, email, roles, organization, status. A new
// organization is a transfer that keeps the direct roles, with the default
// org role (see Transfer). The
// patch is all or nothing: every invalid field is reported in one
// *domain.ValidationError and then no event is returned.
//
// Unlike Suspend and Reactivate, Edit treats a status equal to the current
// one as "no change" and not as a conflict: a patch states the desired
// result, and a form resubmitting the current status must not fail. A
// patch that would change the reason of a standing suspension is a
// conflict, as its change could not be recorded.
func (u *User) Edit(p Patch, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}

	first, last := u.firstName, u.lastName
	email, org := u.email, u.orgID
	var roles []string
	var errs []error
	if p.FirstName != nil {
		var err error
		first, err = cleanText("first_name", *p.FirstName, MaxNameLength, false)
		errs = append(errs, err)
	}
	if p.LastName != nil {
		var err error
		last, err = cleanText("last_name", *p.LastName, MaxNameLength, false)
		errs = append(errs, err)
	}
	if p.Email != nil {
		var err error
		email, err = NewEmail(*p.Email)
		errs = append(errs, err)
	}
	if p.Roles != nil {
		var err error
		roles, err = NormalizeRoles(*p.Roles)
		errs = append(errs, err)
	}
	if p.OrgID != nil {
		var err error
		org, err = normalizeOrgID(*p.OrgID)
		errs = append(errs, err)
	}
	if p.Status != nil && *p.Status != StatusActive && *p.Status != StatusSuspended {
		errs = append(errs, domain.Invalid("status", domain.CodeInvalid, `must be "active" or "suspended"`))
	}
	reason, err := cleanText("suspension_reason", p.SuspensionReason, MaxReasonLength, false)
	errs = append(errs, err)
	if err == nil && reason != "" && (p.Status == nil || *p.Status != StatusSuspended) {
		errs = append(errs, domain.Invalid("suspension_reason", domain.CodeInvalid, `is given only with "status": "suspended"`))
	}
	if err := domain.CollectValidation(errs...); err != nil {
		return nil, err
	}
	if p.Status != nil && *p.Status == StatusSuspended && u.status == StatusSuspended && reason != "" && reason != u.suspendedFor {
		// The patch states a result it cannot have: the suspension and its
		// reason stand, and the reason of a suspension never changes.
		return nil, &domain.ConflictError{Field: "suspension_reason", Code: "already_suspended",
			Message: "the user is already suspended, for another reason; reactivate it first to suspend it for this one"}
	}

	var events []domain.Event
	events = append(events, u.changeName(first, last, now)...)
	events = append(events, u.changeEmail(email, now)...)
	if p.Roles != nil {
		events = append(events, u.unassignRoles(difference(u.roles, roles), now)...)
		events = append(events, u.assignRoles(roles, now)...)
	}
	if org != u.orgID {
		// A move is a transfer that keeps the direct roles: the old
		// organization's team memberships end and the org role becomes
		// the default one.
		events = append(events, u.transfer(org, "", KeepRoles, now)...)
	}
	if p.Status != nil && *p.Status != u.status {
		if *p.Status == StatusActive && u.status != StatusSuspended {
			// Invited and unverified users become active by their own
			// action: accepting the invitation, verifying the email.
			return nil, &domain.ConflictError{Field: "status", Code: "pending_activation",
				Message: "an " + string(u.status) + " user becomes active by accepting its invitation or verifying its email"}
		}
		if *p.Status == StatusSuspended {
			events = append(events, u.suspend(reason, now)...)
		} else {
			events = append(events, u.reactivate(now)...)
		}
	}
	return u.record(events...)
}
