package session

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// List returns the live sessions of userID, newest first (by Created, then
// ID). It does not touch them; sessions found ended are dropped from Redis.
func (s *Store) List(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	reply, err := s.list.Run(ctx, s.rdb,
		[]string{s.keys.user(userID), s.keys.revoked(userID)},
		s.nowMS(), s.cfg.Idle.Milliseconds(), s.keys.prefix,
	).Result()
	if err != nil {
		return nil, fmt.Errorf("session: list sessions of user %s: %w", userID, err)
	}
	f, err := fields(reply, "list")
	if err != nil {
		return nil, err
	}
	const stride = 1 + recordLen
	if len(f)%stride != 0 {
		return nil, fmt.Errorf("session: list: reply of %d fields", len(f))
	}
	out := make([]Session, 0, len(f)/stride)
	for i := 0; i < len(f); i += stride {
		sess, err := s.parse(f[i], f[i+1:i+stride])
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	slices.SortFunc(out, func(a, b Session) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}
