package users

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Page is one page of the user list.
type Page struct {
	// Users are in the query's order, without notes.
	Users []Doc
	// Total is the exact number of users matching the query's text and
	// filters, over all pages.
	Total int64
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string
	// Plan tells how the read model answered ("gather", "walk", "extract",
	// ...), for diagnostics and tests only: its values may change.
	Plan string
}

// sortIndexes maps sort fields to the index names search.lua takes.
var sortIndexes = map[SortField]string{
	SortName: indexName, SortEmail: indexEmail, SortCreated: indexCreated,
	SortLastLogin: indexLogin, SortStatus: "status",
}

// Search returns one page of the users matching q, and their total, read in
// one atomic step. Pages chained by NextCursor never repeat or skip a user
// whose sort value stayed the same, however many users were added or
// removed in between. An invalid q yields a *ParamError (ErrInvalidQuery,
// ErrInvalidCursor).
func (s *Store) Search(ctx context.Context, q Query) (Page, error) {
	p, err := q.normalize()
	if err != nil {
		return Page{}, err
	}
	if p.cursorPrint != "" && p.cursorPrint != p.print {
		return Page{}, cursorError("issued for another query: its text or filters differ; start again from the first page")
	}
	t := s.tuning
	desc := "0"
	if p.desc {
		desc = "1"
	}
	args := []any{
		s.keys.prefix, sortIndexes[p.sort], desc, p.limit, p.cursor,
		t.gatherMax, t.walkBudget, t.blockSortMax, t.bitTestReads, len(p.fields),
	}
	for _, field := range p.fields {
		args = append(args, len(field))
		for _, src := range field {
			args = append(args, src.kind, src.value)
		}
	}
	reply, err := s.search.Run(ctx, s.rdb, nil, args...).Slice()
	if err != nil {
		return Page{}, fmt.Errorf("users: search: %w", err)
	}
	page, nums, err := decodeReply(reply)
	if err != nil {
		return Page{}, fmt.Errorf("users: search: %w", err)
	}
	if page.Users, err = s.rows(ctx, nums); err != nil {
		return Page{}, fmt.Errorf("users: search: %w", err)
	}
	if next := reply[1].(string); next != "" {
		page.NextCursor = encodeCursor(cursor{sort: p.sort, desc: p.desc, query: p.print, pos: next})
	}
	return page, nil
}

// decodeReply reads search.lua's reply: total, next position, plan, then
// the dense numbers of the page's users.
func decodeReply(reply []any) (Page, []int64, error) {
	if len(reply) < 3 {
		return Page{}, nil, fmt.Errorf("short reply (%d elements)", len(reply))
	}
	total, ok1 := reply[0].(int64)
	_, ok2 := reply[1].(string)
	plan, ok3 := reply[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return Page{}, nil, fmt.Errorf("malformed reply header %v", reply[:3])
	}
	nums := make([]int64, len(reply)-3)
	for i, v := range reply[3:] {
		n, ok := v.(int64)
		if !ok {
			return Page{}, nil, fmt.Errorf("malformed user number %v", v)
		}
		nums[i] = n
	}
	return Page{Total: total, Plan: plan}, nums, nil
}

// rows reads the details of the users nums in one round trip. The page was
// chosen atomically a moment before; a user removed since is left out, a
// user changed since shows its new details.
//
// HGETALL costs Redis about half of an HMGET of the twenty fields a row
// shows (each named field is a scan of the hash); the sort keys it also
// returns are a few dozen bytes more on the wire.
func (s *Store) rows(ctx context.Context, nums []int64) ([]Doc, error) {
	if len(nums) == 0 {
		return []Doc{}, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(nums))
	for i, n := range nums {
		cmds[i] = pipe.HGetAll(ctx, s.keys.details(n))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	docs := make([]Doc, 0, len(nums))
	for i, cmd := range cmds {
		h := cmd.Val()
		if h[fieldID] == "" {
			continue
		}
		doc, err := docFromHash(nums[i], h)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	return docs, nil
}
