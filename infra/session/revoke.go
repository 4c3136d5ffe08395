package session

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Revoke ends the session of a token (a logout). A malformed or unknown
// token answers ErrInvalid.
func (s *Store) Revoke(ctx context.Context, token string) error {
	hash, ok := parseToken(token)
	if !ok {
		return ErrInvalid
	}
	n, err := s.revoke.Run(ctx, s.rdb, []string{s.keys.session(hash)}, s.keys.prefix, hash).Int()
	if err != nil {
		return fmt.Errorf("session: revoke: %w", err)
	}
	if n == 0 {
		return ErrInvalid
	}
	return nil
}

// RevokeID ends the session of userID whose Session.ID is id, as listed by
// List: a user (or an administrator) ends one session without its token.
// An id that is malformed or names no session of the user answers
// ErrInvalid.
func (s *Store) RevokeID(ctx context.Context, userID uuid.UUID, id string) error {
	if !validID(id) {
		return ErrInvalid
	}
	n, err := s.revokeID.Run(ctx, s.rdb, []string{s.keys.user(userID)}, s.keys.prefix, id).Int()
	if err != nil {
		return fmt.Errorf("session: revoke session %s of user %s: %w", id, userID, err)
	}
	if n == 0 {
		return ErrInvalid
	}
	return nil
}

// RevokeUser ends every session of userID at once (suspension, password
// reset, deletion) and returns how many live sessions it ended. It also
// records the instant, so that Create and Lookup refuse any session whose
// login was decided at or before it. When RevokeUser returns, no Lookup of
// the user's earlier sessions succeeds.
func (s *Store) RevokeUser(ctx context.Context, userID uuid.UUID) (int, error) {
	n, err := s.revokeUser.Run(ctx, s.rdb,
		[]string{s.keys.user(userID), s.keys.revoked(userID)},
		s.nowMS(), s.cfg.Idle.Milliseconds(), s.cfg.Absolute.Milliseconds(), s.keys.prefix, s.nowMicro(),
	).Int()
	if err != nil {
		return 0, fmt.Errorf("session: revoke sessions of user %s: %w", userID, err)
	}
	return n, nil
}
