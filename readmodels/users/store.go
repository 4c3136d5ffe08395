package users

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/groups.lua
	groupsLua string
	//go:embed lua/search.lua
	searchLua string
	//go:embed lua/number.lua
	numberLua string
	//go:embed lua/get.lua
	getLua string
)

// Store is the user details and user list read model in Redis. It is safe
// for concurrent use. All its keys start with its prefix (see keys).
//
// The scripts read keys they compute from the prefix instead of declaring
// them, so a Redis Cluster works only when the prefix holds a hash tag
// ("{um}:") that puts every key in one slot.
type Store struct {
	rdb    redis.UniversalClient
	keys   keys
	tuning tuning
	groups *redis.Script
	search *redis.Script
	number *redis.Script
	get    *redis.Script
}

// tuning holds the planner's and the index's thresholds. The defaults were
// measured on Redis 7.0 with a million users (see the package doc).
type tuning struct {
	// gatherMax: when the smallest AND-ed filter has at most this many
	// users, gather them and test the other filters one by one.
	gatherMax int
	// walkBudget: a plain walk of a sort index is tried when it is expected
	// to take at most this many steps, and given up for a walk block by
	// block after them (search.lua).
	walkBudget int
	// blockSortMax: at most this many matching users, in all or in one
	// block, are sorted rather than walked.
	blockSortMax int
	// bitTestReads: a membership test of a bitmap asks GETBIT this many
	// times, then reads the bitmap into Lua once (search.lua bitTest).
	bitTestReads int
	// setMin and memberBytes decide when a group set becomes a bitmap: once
	// it has more than setMin members and memberBytes per member cost more
	// than the bitmap's maxNum/8 bytes. memberBytes 0 means at setMin.
	setMin      int
	memberBytes int
	// hotWordMin: a word of 4+ runes used by more users gets its own group
	// and leaves the word index (groups.lua).
	hotWordMin int
	// hotPrefixMin: a prefix of 4+ runes gets its own group once searching
	// it costs more than this many word-index entries (groups.lua).
	hotPrefixMin int
}

func defaultTuning() tuning {
	return tuning{
		gatherMax:    2000,
		walkBudget:   2000,
		blockSortMax: 500,
		bitTestReads: 400,
		setMin:       512,
		memberBytes:  55,
		hotWordMin:   16,
		hotPrefixMin: 2000,
	}
}

// New returns a Store keeping its keys under prefix (e.g. "usermgmt:users:"),
// which must not hold "*" (search.lua passes key patterns to SORT).
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{
		rdb:    rdb,
		keys:   keys{prefix: prefix},
		tuning: defaultTuning(),
		groups: redis.NewScript(groupsLua),
		search: redis.NewScript(searchLua),
		number: redis.NewScript(numberLua),
		get:    redis.NewScript(getLua),
	}
}
