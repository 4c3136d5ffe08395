// Package users is the Redis read model of users: the details of one user
// and the user list with search, filters, sorting, cursor pagination and
// exact totals, built from core Redis structures and Lua only (Redis 7
// without modules).
//
// # Use
//
// The projector writes: for a user never seen it takes a dense number from
// Number, then queues Put (new or changed user) or Remove (erased user) into
// its own MULTI/EXEC together with its checkpoint; Get returns the doc last
// put, which is the old doc of the next Put. The HTTP layer reads: Get for
// the details view, ParseQuery and Search for the list.
//
// # Indexes
//
// Every user has a dense number, its bit in every bitmap (keys.go has the
// key schema). Filters and text terms are groups of users: a set of numbers
// while small, a bitmap once the bitmap is cheaper (groups.lua). Statuses,
// roles, organizations, teams, lock, second factor and invitation states are
// groups; so are the 1-3 rune prefixes of every word of name and email,
// words used by more than a few users ("hot"), and longer prefixes that
// would be costly to gather. Rare words of 4+ runes live in one sorted set,
// gathered by prefix with ZRANGEBYLEX. Sort orders are sorted sets whose
// members are the sort key followed by the dense number, so every order is
// total and exact, and a cursor is a member: the next page starts right
// after it whatever was inserted meanwhile. Each sort index is also cut into
// blocks (members sharing their first bytes), each a group, so that a search
// can skip the parts of an order holding no match.
//
// # Planner
//
// One Lua call (search.lua) answers a query atomically. Each field (a text
// term, or the OR of a filter's values) gets a size from SCARD, a stored
// bitmap count or ZLEXCOUNT. If the smallest field has at most gatherMax
// users, they are gathered, tested against the other fields and sorted with
// SORT ... BY the member stored in each user's details. Otherwise the fields
// are AND-ed with BITOP and counted with BITCOUNT (the exact total); if few
// users match, they are extracted and sorted; if many, the sort index is
// walked from the cursor, testing bits, and where matches turn out sparse
// (the walk exceeds walkBudget steps) the walk goes on block by block:
// blocks without matches are skipped, blocks with few are sorted, blocks
// with many are split or walked; a block whose members share one sort value
// (users who never logged in) is in number order, so in ascending order its
// matches are read with BITPOS (plan "+numbers"). Page.Plan names the path
// taken.
//
// Bitmaps stay on the server: set bits are found with BITPOS and single
// bits tested with GETBIT, because copying a bitmap of a million users into
// Lua costs about 250 µs and scanning it there milliseconds. Only a test
// that runs hundreds of times reads its bitmap into Lua once.
package users
