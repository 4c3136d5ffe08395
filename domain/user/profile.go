package user

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// ChangeName sets the user's first and last name; either may be empty. The
// name is kept as two parts because imports arrive as first_name and
// last_name and search matches either part's words; a display form is the
// reader's concern. No event is returned when the name is unchanged.
func (u *User) ChangeName(first, last string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	first, firstErr := cleanText("first_name", first, MaxNameLength, false)
	last, lastErr := cleanText("last_name", last, MaxNameLength, false)
	if err := domain.CollectValidation(firstErr, lastErr); err != nil {
		return nil, err
	}
	return u.record(u.changeName(first, last, now)...)
}

func (u *User) changeName(first, last string, now time.Time) []domain.Event {
	if first == u.firstName && last == u.lastName {
		return nil
	}
	return []domain.Event{NameChanged{
		UserID: u.id,
		PII:    PII{FirstName: first, LastName: last},
		At:     eventTime(now),
	}}
}

// ChangeEmail sets the user's email, normalized by NormalizeEmail. No event
// is returned when the normalized address equals the current one; a change
// of the local part's case is a change. Uniqueness is the command layer's
// job (see Create).
func (u *User) ChangeEmail(email string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	email, err := NewEmail(email)
	if err != nil {
		return nil, err
	}
	return u.record(u.changeEmail(email, now)...)
}

func (u *User) changeEmail(email string, now time.Time) []domain.Event {
	if email == u.email {
		return nil
	}
	return []domain.Event{EmailChanged{UserID: u.id, PII: PII{Email: email}, At: eventTime(now)}}
}
