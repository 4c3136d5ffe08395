package user_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestReservationReserve(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	me, other := uuid.New(), uuid.New()
	grace := 30 * time.Second
	reservedBy := func(id uuid.UUID, ago time.Duration) domain.Event {
		return user.EmailReserved{UserID: id, At: now.Add(-ago)}
	}
	tests := []struct {
		name        string
		given       []domain.Event
		holderHasIt bool
		wantEvents  int
		wantErr     error
	}{
		{name: "free address", wantEvents: 1},
		{name: "released address", given: []domain.Event{reservedBy(other, time.Hour), user.EmailReleased{UserID: other, At: now}}, wantEvents: 1},
		{name: "already mine", given: []domain.Event{reservedBy(me, time.Hour)}, wantEvents: 0},
		{name: "held by another user who has it", given: []domain.Event{reservedBy(other, time.Hour)}, holderHasIt: true, wantErr: domain.ErrConflict},
		{name: "in flight for another user", given: []domain.Event{reservedBy(other, time.Second)}, wantErr: domain.ErrConflict},
		{name: "stale: holder never got it (crash)", given: []domain.Event{reservedBy(other, time.Minute)}, wantEvents: 1},
		{name: "a release by a former holder does not free it", given: []domain.Event{reservedBy(other, time.Hour), reservedBy(me, time.Second), user.EmailReleased{UserID: other, At: now}}, wantEvents: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := user.LoadReservation(tc.given...)
			evs, err := r.Reserve(me, now, grace, func(id uuid.UUID) (bool, error) {
				if id == me {
					t.Fatal("asked whether the caller itself holds the address")
				}
				return tc.holderHasIt, nil
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var ce *domain.ConflictError
			if tc.wantErr != nil && (!errors.As(err, &ce) || ce.Field != "email") {
				t.Fatalf("conflict %v does not name the email field", err)
			}
			if len(evs) != tc.wantEvents {
				t.Fatalf("got %d events, want %d", len(evs), tc.wantEvents)
			}
			if len(evs) == 1 && evs[0] != (user.EmailReserved{UserID: me, At: now}) {
				t.Fatalf("event %+v", evs[0])
			}
		})
	}
}

func TestReservationRelease(t *testing.T) {
	now := time.Now().UTC()
	me, other := uuid.New(), uuid.New()
	r := user.LoadReservation(user.EmailReserved{UserID: me, At: now})
	if evs := r.Release(other, now); len(evs) != 0 {
		t.Fatalf("another user released my address: %v", evs)
	}
	if evs := r.Release(me, now); len(evs) != 1 {
		t.Fatalf("release by the holder: %v", evs)
	}
	if h, ok := user.LoadReservation(user.EmailReserved{UserID: me, At: now}, user.EmailReleased{UserID: me, At: now}).Holder(); ok {
		t.Fatalf("released address still held by %v", h)
	}
}

func TestReservationStreamHidesTheAddress(t *testing.T) {
	s := user.ReservationStream("jane@example.com")
	if !strings.HasPrefix(s, user.ReservationStreamPrefix) || strings.Contains(s, "jane") || len(s) != len(user.ReservationStreamPrefix)+40 {
		t.Fatalf("stream name %q", s)
	}
	if s == user.ReservationStream("jane@example.org") {
		t.Fatal("two addresses share a stream")
	}
}
