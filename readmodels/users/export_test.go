package users

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/redis/go-redis/v9"
)

//go:embed testdata/groups_per_user.lua
var groupsPerUserLua string

var groupsPerUser = redis.NewScript(groupsPerUserLua)

// FlushPerUser sends the pending group operations as the reference does:
// one call per user to groups.lua as it was before it took batches
// (testdata/groups_per_user.lua), so that tests can compare the two.
func (w *Writer) FlushPerUser(ctx context.Context) {
	p, t := w.pending, w.s.tuning
	w.pending = nil
	for i := 0; i < len(p); {
		n := p[i+1].(int)
		args := append([]any{w.s.keys.prefix, p[i], t.setMin, t.memberBytes, t.hotWordMin, t.hotPrefixMin}, p[i+2:i+2+2*n]...)
		groupsPerUser.Eval(ctx, w.pipe, nil, args...)
		i += 2 + 2*n
	}
}

// TestTuning exposes the planner and index thresholds to tests, which use
// them to force every plan on small data sets.
type TestTuning struct {
	GatherMax                int
	WalkBudget, BlockSortMax int
	BitTestReads             int
	SetMin, MemberBytes      int
	HotWordMin, HotPrefixMin int
}

// DefaultTestTuning returns the production thresholds.
func DefaultTestTuning() TestTuning {
	t := defaultTuning()
	return TestTuning{
		GatherMax:  t.gatherMax,
		WalkBudget: t.walkBudget, BlockSortMax: t.blockSortMax, BitTestReads: t.bitTestReads,
		SetMin: t.setMin, MemberBytes: t.memberBytes, HotWordMin: t.hotWordMin, HotPrefixMin: t.hotPrefixMin,
	}
}

// Tuned returns a Store like s with the thresholds of t.
func (s *Store) Tuned(t TestTuning) *Store {
	c := *s
	c.tuning = tuning{
		gatherMax:  t.GatherMax,
		walkBudget: t.WalkBudget, blockSortMax: t.BlockSortMax, bitTestReads: t.BitTestReads,
		setMin: t.SetMin, memberBytes: t.MemberBytes, hotWordMin: t.HotWordMin, hotPrefixMin: t.HotPrefixMin,
	}
	return &c
}

// ReserveNumbers hands out n consecutive dense numbers at once and returns
// the first; the bulk loader of the benchmarks uses it instead of Number.
func (s *Store) ReserveNumbers(ctx context.Context, n int64) (int64, error) {
	last, err := s.rdb.IncrBy(ctx, s.keys.seq(), n).Result()
	if err != nil {
		return 0, fmt.Errorf("reserve numbers: %w", err)
	}
	return last - n + 1, nil
}

// GroupsSHA is the SHA1 of groups.lua, as SCRIPT EXISTS takes it.
// GroupsLua is groups.lua's source.
func GroupsLua() string { return groupsLua }

func GroupsSHA() string { return New(nil, "").groups.Hash() }
