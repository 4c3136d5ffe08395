package users

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Get returns the user's details with its notes, or ErrNotFound. The
// projector passes the result as Put's old doc. One round trip (get.lua).
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Doc, error) {
	res, err := s.get.Run(ctx, s.rdb, nil, s.keys.prefix, s.keys.idBucket(id), id.String()).Slice()
	if errors.Is(err, redis.Nil) {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	if len(res) != 3 {
		return Doc{}, fmt.Errorf("users: get %s: get.lua answered %d values", id, len(res))
	}
	numStr, _ := res[0].(string)
	num, err := strconv.ParseInt(numStr, 10, 64)
	if err != nil {
		return Doc{}, fmt.Errorf("users: get %s: number %q: %w", id, numStr, err)
	}
	flat, _ := res[1].([]any)
	if len(flat) == 0 {
		// Numbered but never put (Number ran, the projector's EXEC did not).
		return Doc{}, fmt.Errorf("users: get %s: %w", id, ErrNotFound)
	}
	details := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		details[k] = v
	}
	doc, err := docFromHash(num, details)
	if err != nil {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	notes, _ := res[2].(string)
	if doc.Notes, err = decodeNotes(notes); err != nil {
		return Doc{}, fmt.Errorf("users: get %s: %w", id, err)
	}
	return doc, nil
}
