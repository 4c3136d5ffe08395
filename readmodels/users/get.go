package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Get returns the user's details with its notes, or ErrNotFound. The
// projector passes the result as Put's old doc.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Doc, error) {
	num, err := s.rdb.HGet(ctx, s.keys.idBucket(id), id.String()).Int64()
	if errors.Is(err, redis.Nil) {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	pipe := s.rdb.Pipeline()
	details := pipe.HGetAll(ctx, s.keys.details(num))
	notes := pipe.Get(ctx, s.keys.notes(num))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	if len(details.Val()) == 0 {
		// Numbered but never put (Number ran, the projector's EXEC did not).
		return Doc{}, fmt.Errorf("users: get %s: %w", id, ErrNotFound)
	}
	doc, err := docFromHash(num, details.Val())
	if err != nil {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	if doc.Notes, err = decodeNotes(notes.Val()); err != nil {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	return doc, nil
}
