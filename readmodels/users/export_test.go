package users

import (
	"context"
	"fmt"
)

// TestTuning exposes the planner and index thresholds to tests, which use
// them to force every plan on small data sets.
type TestTuning struct {
	GatherMax                int
	StepCost, CandidateCost  float64
	WalkBudget, BlockSortMax int
	SetMin, MemberBytes      int
	HotWordMin, HotPrefixMin int
}

// DefaultTestTuning returns the production thresholds.
func DefaultTestTuning() TestTuning {
	t := defaultTuning()
	return TestTuning{
		GatherMax:  t.gatherMax,
		WalkBudget: t.walkBudget, BlockSortMax: t.blockSortMax, SetMin: t.setMin, MemberBytes: t.memberBytes, HotWordMin: t.hotWordMin, HotPrefixMin: t.hotPrefixMin,
	}
}

// Tuned returns a Store like s with the thresholds of t.
func (s *Store) Tuned(t TestTuning) *Store {
	c := *s
	c.tuning = tuning{
		gatherMax:  t.GatherMax,
		walkBudget: t.WalkBudget, blockSortMax: t.BlockSortMax, setMin: t.SetMin, memberBytes: t.MemberBytes, hotWordMin: t.HotWordMin, hotPrefixMin: t.HotPrefixMin,
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
func GroupsSHA() string { return New(nil, "").groups.Hash() }
