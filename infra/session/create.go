package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Create starts a session for userID and returns its token, to be handed to
// the client once and never kept, and the stored session.
//
// decidedAt is when the login was decided (credentials checked, user found
// active); it becomes the session's Created and starts its absolute
// lifetime. Create answers ErrRevoked when the user's sessions were revoked
// at or after decidedAt (millisecond precision), so a login that raced a
// suspension cannot outlive it. A decidedAt so old that the session would
// already have reached its absolute expiry is an error too.
func (s *Store) Create(ctx context.Context, userID uuid.UUID, decidedAt time.Time, info Info) (string, Session, error) {
	if userID == uuid.Nil {
		return "", Session{}, errors.New("session: create: no user ID")
	}
	if decidedAt.IsZero() {
		return "", Session{}, errors.New("session: create: no decision time")
	}
	now := s.nowMS()
	// Created is kept in microseconds: it is compared with the instant of a
	// revocation, and a login decided just after a revocation (within the
	// same millisecond) must not be taken for one decided before it.
	created := decidedAt.UnixMicro()
	abs := decidedAt.UnixMilli() + s.cfg.Absolute.Milliseconds()
	if abs <= now {
		return "", Session{}, fmt.Errorf("session: create: login decided at %s is past the absolute lifetime of %s",
			decidedAt.UTC().Format(time.RFC3339Nano), s.cfg.Absolute)
	}
	ttl := min(s.cfg.Idle.Milliseconds(), abs-now)

	token, hash, err := newToken()
	if err != nil {
		return "", Session{}, err
	}
	info.IP = truncate(info.IP, maxInfoLen)
	info.UserAgent = truncate(info.UserAgent, maxInfoLen)
	restricted := "0"
	if info.Restricted {
		restricted = "1"
	}
	ok, err := s.create.Run(ctx, s.rdb,
		[]string{s.keys.session(hash), s.keys.user(userID), s.keys.revoked(userID)},
		now, created, abs, ttl, hash, userID.String(), info.IP, info.UserAgent, restricted, s.keys.prefix,
	).Int()
	if err != nil {
		return "", Session{}, fmt.Errorf("session: create for user %s: %w", userID, err)
	}
	if ok == 0 {
		return "", Session{}, ErrRevoked
	}
	return token, s.session(hash, userID, created, now, abs, info.IP, info.UserAgent, info.Restricted), nil
}
