package user

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// Email uniqueness is a rule over all users, so no single user stream can
// enforce it. Each address (by EmailKey) has a reservation stream; the
// command layer appends EmailReserved to it with an expected revision before
// it creates the user or changes the email, and EmailReleased when the user
// lets the address go. The stream name is a hash, so no address appears in
// stream names, and the events name only the user.
//
// A crash between the reservation and the user's own event leaves a
// reservation whose holder does not have the address. Such a reservation is
// stale once it is older than a grace period (which covers a command still
// in flight) and can then be taken over; see Reservation.Reserve.

// Event types of reservation streams.
const (
	TypeEmailReserved = "email.reserved.v1"
	TypeEmailReleased = "email.released.v1"
)

// ReservationStreamPrefix starts every reservation stream name.
const ReservationStreamPrefix = "email-"

// ReservationStream names the reservation stream of an address given as
// EmailKey(NormalizeEmail(...)).
func ReservationStream(emailKey string) string {
	sum := sha256.Sum256([]byte(emailKey))
	return ReservationStreamPrefix + hex.EncodeToString(sum[:20])
}

// EmailReserved gives an address to a user.
type EmailReserved struct {
	UserID uuid.UUID `json:"user_id"`
	At     time.Time `json:"at"`
}

// EmailReleased frees an address its holder no longer uses.
type EmailReleased struct {
	UserID uuid.UUID `json:"user_id"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (EmailReserved) EventType() string { return TypeEmailReserved }

// EventType implements domain.Event.
func (EmailReleased) EventType() string { return TypeEmailReleased }

// ReservationRegistrations lists the reservation events for domain.NewCodec.
func ReservationRegistrations() []domain.Registration {
	return []domain.Registration{domain.Register[EmailReserved](), domain.Register[EmailReleased]()}
}

// Reservation is the state of one address's reservation stream.
type Reservation struct {
	holder     uuid.UUID
	reservedAt time.Time
}

// LoadReservation folds a reservation stream's history; only the last event
// matters.
func LoadReservation(history ...domain.Event) Reservation {
	var r Reservation
	for _, e := range history {
		switch e := e.(type) {
		case EmailReserved:
			r = Reservation{holder: e.UserID, reservedAt: e.At}
		case EmailReleased:
			if e.UserID == r.holder {
				r = Reservation{}
			}
		}
	}
	return r
}

// Holder returns the user holding the address, if any.
func (r Reservation) Holder() (uuid.UUID, bool) { return r.holder, r.holder != uuid.Nil }

// Reserve decides whether userID may take the address. holderHasIt tells
// whether the current holder (if another user) really has the address now;
// it is only consulted when there is such a holder. A reservation younger
// than grace counts as held (its command may still be running); an older
// one whose holder does not have the address is stale and is taken over.
// Reserving an address one already holds returns no events.
func (r Reservation) Reserve(userID uuid.UUID, now time.Time, grace time.Duration, holderHasIt func(uuid.UUID) (bool, error)) ([]domain.Event, error) {
	if r.holder == userID {
		return nil, nil
	}
	if r.holder != uuid.Nil {
		has, err := holderHasIt(r.holder)
		if err != nil {
			return nil, err
		}
		if has || now.Sub(r.reservedAt) < grace {
			return nil, &domain.ConflictError{Field: "email", Code: "email_taken", Message: "another user has this email address"}
		}
	}
	return []domain.Event{EmailReserved{UserID: userID, At: eventTime(now)}}, nil
}

// Release returns the event that frees the address if userID holds it.
func (r Reservation) Release(userID uuid.UUID, now time.Time) []domain.Event {
	if r.holder != userID || userID == uuid.Nil {
		return nil
	}
	return []domain.Event{EmailReleased{UserID: userID, At: eventTime(now)}}
}
