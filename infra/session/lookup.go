package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Lookup returns the live session of a token and slides its idle expiry
// (never past the absolute one). It answers ErrInvalid for a token that is
// malformed (without asking Redis), unknown, expired, revoked, or created
// at or before its user's last RevokeUser; an ended session found on the way
// is deleted. Any other error means Redis could not answer.
func (s *Store) Lookup(ctx context.Context, token string) (Session, error) {
	hash, ok := parseToken(token)
	if !ok {
		return Session{}, ErrInvalid
	}
	reply, err := s.lookup.Run(ctx, s.rdb, []string{s.keys.session(hash)},
		s.nowMS(), s.cfg.Idle.Milliseconds(), s.cfg.touchEvery().Milliseconds(), s.keys.prefix, hash,
	).Result()
	if errors.Is(err, redis.Nil) {
		return Session{}, ErrInvalid
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: lookup: %w", err)
	}
	f, err := fields(reply, "lookup")
	if err != nil {
		return Session{}, err
	}
	return s.parse(hash, f)
}

// recordLen is the number of stored fields the scripts return per session:
// uid, created, seen, abs, ip, ua, r.
const recordLen = 7

// parse builds a Session from the stored fields of the session hash.
func (s *Store) parse(hash string, f []string) (Session, error) {
	if len(f) != recordLen {
		return Session{}, fmt.Errorf("session: stored session %s has %d fields, want %d", hash[:idLen], len(f), recordLen)
	}
	userID, err := uuid.Parse(f[0])
	if err != nil {
		return Session{}, fmt.Errorf("session: stored session %s: user ID: %w", hash[:idLen], err)
	}
	var ms [3]int64
	for i := range ms {
		if ms[i], err = strconv.ParseInt(f[1+i], 10, 64); err != nil {
			return Session{}, fmt.Errorf("session: stored session %s: time: %w", hash[:idLen], err)
		}
	}
	return s.session(hash, userID, ms[0], ms[1], ms[2], f[4], f[5], f[6] == "1"), nil
}
