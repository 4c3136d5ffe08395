package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Prepared is what the projector needs before it Puts a user: the doc as
// last put (Exists), or, for a user never put, a Doc carrying only its ID
// and freshly allocated number.
type Prepared struct {
	Doc    Doc
	Exists bool
}

// Prepare is Get and Number for many users in two round trips, for a
// projector applying a batch: the first reads every user's number, the
// second reads the known users' details and notes and allocates numbers
// for the rest (outside any transaction, as Number does).
func (s *Store) Prepare(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Prepared, error) {
	out := make(map[uuid.UUID]Prepared, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	nums := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		nums[i] = pipe.HGet(ctx, s.keys.idBucket(id), id.String())
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("users: prepare: %w", err)
	}

	type pending struct {
		id      uuid.UUID
		num     int64
		details *redis.MapStringStringCmd
		notes   *redis.StringCmd
		alloc   *redis.Cmd
	}
	work := make([]pending, len(ids))
	pipe = s.rdb.Pipeline()
	for i, id := range ids {
		p := pending{id: id}
		num, err := nums[i].Int64()
		switch {
		case err == nil:
			p.num = num
			p.details = pipe.HGetAll(ctx, s.keys.details(num))
			p.notes = pipe.Get(ctx, s.keys.notes(num))
		case errors.Is(err, redis.Nil):
			p.alloc = s.number.Eval(ctx, pipe, nil, s.keys.prefix, s.keys.idBucket(id), id.String())
		default:
			return nil, fmt.Errorf("users: prepare %s: %w", id, err)
		}
		work[i] = p
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("users: prepare: %w", err)
	}
	for _, p := range work {
		if p.alloc != nil {
			n, err := p.alloc.Int64()
			if err != nil {
				return nil, fmt.Errorf("users: number of %s: %w", p.id, err)
			}
			if n > maxNum {
				return nil, fmt.Errorf("users: number of %s: %d exceeds the limit %d", p.id, n, int64(maxNum))
			}
			out[p.id] = Prepared{Doc: Doc{ID: p.id, Num: n}}
			continue
		}
		if len(p.details.Val()) == 0 {
			// Numbered but never put (an earlier batch failed before EXEC).
			out[p.id] = Prepared{Doc: Doc{ID: p.id, Num: p.num}}
			continue
		}
		doc, err := docFromHash(p.num, p.details.Val())
		if err != nil {
			return nil, fmt.Errorf("users: prepare %s: %w", p.id, err)
		}
		if doc.Notes, err = decodeNotes(p.notes.Val()); err != nil {
			return nil, fmt.Errorf("users: prepare %s: %w", p.id, err)
		}
		out[p.id] = Prepared{Doc: doc, Exists: true}
	}
	return out, nil
}
