package orgs

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
)

// Page sizes of List.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ListQuery asks for one page of the organization list.
type ListQuery struct {
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// Limit is the page size, 1 to MaxLimit; 0 means DefaultLimit.
	Limit int
	// IncludeArchived lists archived organizations too.
	IncludeArchived bool
}

// ListPage is one page of organizations, sorted by name
// (case-insensitively), then ID.
type ListPage struct {
	Orgs []Org
	// NextCursor continues after this page; empty on the last page.
	NextCursor string
	// Total counts every organization the query lists, on all pages.
	Total int
}

// List returns a page of organizations. A bad limit or cursor is a
// *domain.ValidationError naming "limit" or "cursor". A cursor is a
// position, not an offset: the next page starts right after the last
// organization of this one, whatever was added or renamed meanwhile.
func (s *Store) List(ctx context.Context, q ListQuery) (ListPage, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return ListPage{}, domain.Invalid("limit", domain.CodeInvalid, fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	start := "-"
	if q.Cursor != "" {
		member, err := decodeCursor(q.Cursor)
		if err != nil {
			return ListPage{}, err
		}
		start = "(" + member
	}
	index := s.keys.live()
	if q.IncludeArchived {
		index = s.keys.all()
	}
	pipe := s.rdb.Pipeline()
	members := pipe.ZRangeArgs(ctx, redis.ZRangeArgs{Key: index, Start: start, Stop: "+", ByLex: true, Count: int64(limit) + 1})
	total := pipe.ZCard(ctx, index)
	if _, err := pipe.Exec(ctx); err != nil {
		return ListPage{}, fmt.Errorf("orgs: list: %w", err)
	}
	page := ListPage{Total: int(total.Val())}
	ms := members.Val()
	if len(ms) > limit {
		ms = ms[:limit]
		page.NextCursor = encodeCursor(ms[len(ms)-1])
	}
	if len(ms) == 0 {
		return page, nil
	}
	docKeys := make([]string, len(ms))
	for i, m := range ms {
		docKeys[i] = s.keys.doc(memberID(m))
	}
	docs, err := s.rdb.MGet(ctx, docKeys...).Result()
	if err != nil {
		return ListPage{}, fmt.Errorf("orgs: list: %w", err)
	}
	for i, d := range docs {
		str, ok := d.(string)
		if !ok {
			continue // removed between the two reads
		}
		o, err := decode(memberID(ms[i]), []byte(str))
		if err != nil {
			return ListPage{}, err
		}
		page.Orgs = append(page.Orgs, o)
	}
	return page, nil
}

// A cursor is the sort member of the last organization of a page, base64url
// without padding, behind a version byte.
const cursorVersion = 1

func encodeCursor(member string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{cursorVersion}, member...))
}

func decodeCursor(c string) (string, error) {
	bad := domain.Invalid("cursor", domain.CodeInvalid, "is not a cursor of the organization list")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 2 || b[0] != cursorVersion {
		return "", bad
	}
	member := string(b[1:])
	if !strings.Contains(member, "\x00") {
		return "", bad
	}
	return member, nil
}
