package users

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Number returns the dense number of the user id, allocating one on first
// sight. Call it before the pipeline that Puts a new user: it writes
// outside that pipeline, which is harmless (a crash leaves an unused
// number, and the next call returns the same one). Numbers are never
// reused, not even after Remove.
func (s *Store) Number(ctx context.Context, id uuid.UUID) (int64, error) {
	n, err := s.number.Run(ctx, s.rdb, nil, s.keys.prefix, s.keys.idBucket(id), id.String()).Int64()
	if err != nil {
		return 0, fmt.Errorf("users: number of %s: %w", id, err)
	}
	if n > maxNum {
		return 0, fmt.Errorf("users: number of %s: %d exceeds the limit %d", id, n, int64(maxNum))
	}
	return n, nil
}
