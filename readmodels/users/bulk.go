package users

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// ErrNotEmpty: BulkLoad found a read model that already numbered users; it
// loads only into an empty one (just reset).
var ErrNotEmpty = errors.New("users: bulk load needs an empty read model")

// hotWordCost is HOT_WORD_COST of groups.lua: a hot word counts as this many
// word-index entries when a prefix's search cost is weighed. Keep in step.
const hotWordCost = 20

// Sizes of the bulk writes: members per SADD/ZADD/HSET command, the weight
// (commands plus members) of one pipeline, and the pipelines a writer runs
// at once.
const (
	bulkChunk    = 1000
	bulkPipeline = 20000
	bulkWriters  = 2
)

// BulkLoad writes docs into an empty read model, typically right after a
// reset, with far fewer commands and far less Redis CPU than one Put per
// doc: it numbers the users 1..len(docs) in docs' order (writing each
// number into docs[i].Num), computes every index entry in Go, builds each
// group in the form groups.lua would have left it had the docs been Put one
// by one in that order (a set while small, else a bitmap written whole),
// decides hot words and hot prefixes by the same rules, and writes it all
// with large pipelined commands.
//
// The result answers every query exactly as the docs Put one by one would,
// and later Puts and Removes work on it as on any other. The writes are not
// atomic: until BulkLoad returns nil, readers may see a partial read model,
// and after an error the read model must be reset before another try (the
// projections runner marks a rebuild in progress for that). It fails with
// ErrNotEmpty if users were numbered already, and with ErrInvalidDoc for a
// doc Put would refuse or an ID given twice; then it writes nothing.
func (s *Store) BulkLoad(ctx context.Context, docs []Doc) error {
	if len(docs) == 0 {
		return nil
	}
	if int64(len(docs)) > maxNum {
		return fmt.Errorf("users: bulk load: %d users exceed the limit %d", len(docs), int64(maxNum))
	}
	notes, err := checkBulk(docs)
	if err != nil {
		return fmt.Errorf("users: bulk load: %w", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.keys.seq(), len(docs), 0).Result()
	if err != nil {
		return fmt.Errorf("users: bulk load: claim numbers: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w (key %s exists)", ErrNotEmpty, s.keys.seq())
	}
	all, writers := s.writeDetails(ctx, docs, notes)
	indexes := newBulkWriter(ctx, s.rdb)
	writers = append(writers, indexes)
	s.queueIndexes(ctx, indexes, s.planBulk(docs, all))
	s.queueIDs(ctx, indexes, docs)
	errs := make([]error, len(writers))
	for i, w := range writers {
		errs[i] = w.close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("users: bulk load: %w", err)
	}
	return nil
}

// checkBulk numbers docs, checks them as Put would and that no ID is given
// twice, and returns their encoded notes ("" for none).
func checkBulk(docs []Doc) ([]string, error) {
	seen := make(map[uuid.UUID]bool, len(docs))
	notes := make([]string, len(docs))
	for i := range docs {
		d := &docs[i]
		d.Num = int64(i + 1)
		if err := d.validate(); err != nil {
			return nil, err
		}
		if seen[d.ID] {
			return nil, fmt.Errorf("%w: user %s given twice", ErrInvalidDoc, d.ID)
		}
		seen[d.ID] = true
		var err error
		if notes[i], err = encodeNotes(d.Notes); err != nil {
			return nil, fmt.Errorf("user %s: %w", d.ID, err)
		}
	}
	return notes, nil
}

// writeDetails computes the docs' index entries on every core, each core
// queueing the details hashes and notes of its docs on its own writer
// meanwhile. It returns the entries and the writers, still to be closed.
func (s *Store) writeDetails(ctx context.Context, docs []Doc, notes []string) ([]entries, []*bulkWriter) {
	all := make([]entries, len(docs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(docs)/1000))
	writers := make([]*bulkWriter, workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := newBulkWriter(ctx, s.rdb)
		writers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < len(docs); j += workers {
				d := &docs[j]
				all[j] = indexEntries(*d)
				fields := d.hashFields(all[j])
				key := s.keys.details(d.Num)
				w.add(len(fields)/2, func(pipe redis.Pipeliner) { pipe.HSet(ctx, key, fields...) })
				if notes[j] != "" {
					w.add(1, func(pipe redis.Pipeliner) { pipe.Set(ctx, s.keys.notes(d.Num), notes[j], 0) })
				}
			}
		}()
	}
	wg.Wait()
	return all, writers
}

// queueIDs queues the users' ID mappings on w, one HSET per bucket.
func (s *Store) queueIDs(ctx context.Context, w *bulkWriter, docs []Doc) {
	buckets := map[string][]any{}
	for _, d := range docs {
		b := s.keys.idBucket(d.ID)
		buckets[b] = append(buckets[b], d.ID.String(), d.Num)
	}
	for key, pairs := range buckets {
		for chunk := range chunks(pairs, 2*bulkChunk) {
			w.add(len(chunk)/2, func(pipe redis.Pipeliner) { pipe.HSet(ctx, key, chunk...) })
		}
	}
}

// bulkPlan is every group and sorted set of a bulk load.
type bulkPlan struct {
	// groups are the groups by kind ("g:", "g:bk:", "g:wd:", "g:px:") and
	// name (the key suffix after the kind), each with its members'
	// numbers, ascending.
	groups map[string]map[string]*[]uint32
	// zsets maps a sorted set key to its members (all scores 0).
	zsets map[string][]string
	// hotPrefixes are the members of P hot.
	hotPrefixes []string
	// setMax is the largest group kept as a set (groups.lua's setMax).
	setMax int
}

// planBulk computes the groups and sorted sets of docs (numbered 1..n in
// order): words and prefixes in one goroutine, the rest in another.
func (s *Store) planBulk(docs []Doc, all []entries) bulkPlan {
	k := s.keys
	t := s.tuning
	p := bulkPlan{groups: map[string]map[string]*[]uint32{}, zsets: map[string][]string{}, setMax: t.setMin}
	if t.memberBytes > 0 {
		p.setMax = max(t.setMin, len(docs)/8/t.memberBytes)
	}
	var (
		wg                   sync.WaitGroup
		words, prefixes      = map[string]*[]uint32{}, map[string]*[]uint32{}
		hotWordList, coldIdx []string
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		hotWords, hotPrefixes := s.hotWordsAndPrefixes(all)
		for w := range hotWords {
			hotWordList = append(hotWordList, w)
		}
		for pfx := range hotPrefixes {
			p.hotPrefixes = append(p.hotPrefixes, pfx)
		}
		for i := range all {
			e := &all[i]
			n := uint32(i + 1)
			for _, w := range e.words {
				if hotWords[w] {
					joinGroup(words, w, n)
				} else {
					coldIdx = append(coldIdx, textMember(w, int64(n)))
				}
			}
			for _, pfx := range e.prefixes {
				if hotPrefixes[pfx] {
					joinGroup(prefixes, pfx, n)
				}
			}
		}
	}()

	plain, blocks := map[string]*[]uint32{}, map[string]*[]uint32{}
	sorts := make(map[string][]string, len(sortIndexNames))
	for _, index := range sortIndexNames {
		sorts[index] = make([]string, 0, len(docs))
	}
	for i := range all {
		e := &all[i]
		n := uint32(i + 1)
		for _, index := range sortIndexNames {
			sorts[index] = append(sorts[index], e.sorts[index])
		}
		if joinGroup(plain, statusGroup(e.status), n) {
			p.zsets[k.prefix+"statuses"] = append(p.zsets[k.prefix+"statuses"], e.status)
		}
		for _, g := range e.groups {
			joinGroup(plain, g, n)
		}
		for _, b := range e.blocks {
			if joinGroup(blocks, b, n) {
				index, level, prefix := splitBlock(b)
				registry := k.prefix + "blk:" + index + ":" + level
				p.zsets[registry] = append(p.zsets[registry], prefix)
			}
		}
	}
	for _, index := range sortIndexNames {
		p.zsets[k.sortIndex(index)] = sorts[index]
	}
	wg.Wait()
	p.groups["g:"], p.groups["g:bk:"], p.groups["g:wd:"], p.groups["g:px:"] = plain, blocks, words, prefixes
	if len(hotWordList) > 0 {
		p.zsets[k.prefix+"hotwords"] = hotWordList
	}
	if len(coldIdx) > 0 {
		p.zsets[k.words()] = coldIdx
	}
	return p
}

// joinGroup adds the number n, not below any number in it, to the group
// name of kind, and reports whether the group is new.
func joinGroup(kind map[string]*[]uint32, name string, n uint32) bool {
	m := kind[name]
	if m == nil {
		kind[name] = &[]uint32{n}
		return true
	}
	if (*m)[len(*m)-1] != n { // a value given twice (e.g. a team) joins once
		*m = append(*m, n)
	}
	return false
}

// splitBlock splits "<index>:<level>:<member prefix>" (the prefix may hold
// any byte, ":" too).
func splitBlock(b string) (index, level, prefix string) {
	index, rest, _ := strings.Cut(b, ":")
	level, prefix, _ = strings.Cut(rest, ":")
	return index, level, prefix
}

// hotWordsAndPrefixes replays groups.lua's decisions for the docs Put one
// by one in number order into an empty read model: a word turns hot when
// more than hotWordMin users have it; a prefix of 4+ runes turns hot when a
// user with it is added while its cost (its cold word-index entries plus
// hotWordCost per hot word starting with it) exceeds hotPrefixMin. The cost
// is not monotonic (a word turning hot trades its entries for
// hotWordCost), so it is replayed user by user, not judged at the end.
func (s *Store) hotWordsAndPrefixes(all []entries) (hotWords, hotPrefixes map[string]bool) {
	t := s.tuning
	hotWords, hotPrefixes = map[string]bool{}, map[string]bool{}
	users := map[string]int{} // word -> users with it so far
	cost := map[string]int{}  // prefix of 4+ runes -> cost so far
	for i := range all {
		e := &all[i]
		for _, w := range e.words {
			users[w]++
			if hotWords[w] {
				continue
			}
			c := users[w]
			turns := c > t.hotWordMin
			longPrefixes(w, func(p string) {
				cost[p]++
				if turns {
					cost[p] += hotWordCost - c
				}
			})
			if turns {
				hotWords[w] = true
			}
		}
		for _, p := range e.prefixes {
			if !hotPrefixes[p] && cost[p] > t.hotPrefixMin {
				hotPrefixes[p] = true
			}
		}
	}
	return hotWords, hotPrefixes
}

// longPrefixes calls fn with every prefix of w longer than shortPrefix
// runes, w included.
func longPrefixes(w string, fn func(p string)) {
	runes := 0
	for i := range w {
		if runes > shortPrefix {
			fn(w[:i])
		}
		runes++
	}
	if runes > shortPrefix {
		fn(w)
	}
}

// queueIndexes queues the groups, their counts and the sorted sets and sets
// of plan on w.
func (s *Store) queueIndexes(ctx context.Context, w *bulkWriter, p bulkPlan) {
	k := s.keys
	var counts []any // gc field/value pairs
	for kind, groups := range p.groups {
		for name, nums := range groups {
			key := k.prefix + kind + name
			if len(*nums) > p.setMax {
				w.add(2, func(pipe redis.Pipeliner) { pipe.Set(ctx, key, bitmapOf(*nums), 0) })
				counts = append(counts, key, len(*nums))
				continue
			}
			for chunk := range chunks(*nums, bulkChunk) {
				members := make([]any, len(chunk))
				for i, n := range chunk {
					members[i] = n
				}
				w.add(len(members), func(pipe redis.Pipeliner) { pipe.SAdd(ctx, key, members...) })
			}
		}
	}
	for chunk := range chunks(counts, 2*bulkChunk) {
		w.add(len(chunk), func(pipe redis.Pipeliner) { pipe.HSet(ctx, k.prefix+"gc", chunk...) })
	}
	for chunk := range chunks(p.hotPrefixes, bulkChunk) {
		members := make([]any, len(chunk))
		for i, m := range chunk {
			members[i] = m
		}
		w.add(len(members), func(pipe redis.Pipeliner) { pipe.SAdd(ctx, k.prefix+"hot", members...) })
	}
	for key, members := range p.zsets {
		slices.Sort(members)
		for chunk := range chunks(members, bulkChunk) {
			zs := make([]redis.Z, len(chunk))
			for i, m := range chunk {
				zs[i] = redis.Z{Member: m}
			}
			w.add(len(zs), func(pipe redis.Pipeliner) { pipe.ZAdd(ctx, key, zs...) })
		}
	}
}

// bitmapOf builds the bitmap SETBIT would leave after setting the bits
// nums (ascending): as long as needed for the last one.
func bitmapOf(nums []uint32) []byte {
	b := make([]byte, nums[len(nums)-1]/8+1)
	for _, n := range nums {
		b[n/8] |= 0x80 >> (n % 8)
	}
	return b
}

// chunks yields s in pieces of at most n elements.
func chunks[T any](s []T, n int) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			end := min(n, len(s))
			if !yield(s[:end]) {
				return
			}
			s = s[end:]
		}
	}
}

// bulkWriter queues writes into pipelines of about bulkPipeline weight and
// runs up to bulkWriters of them at a time. The writes of a bulk load touch
// each key in an order-independent way (SADD, ZADD, HSET of distinct
// fields, SET of distinct keys), so pipelines may run in any order.
type bulkWriter struct {
	ctx    context.Context
	rdb    redis.UniversalClient
	pipe   redis.Pipeliner
	weight int
	work   chan redis.Pipeliner
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

func newBulkWriter(ctx context.Context, rdb redis.UniversalClient) *bulkWriter {
	w := &bulkWriter{ctx: ctx, rdb: rdb, pipe: rdb.Pipeline(), work: make(chan redis.Pipeliner, bulkWriters)}
	for range bulkWriters {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for pipe := range w.work {
				if w.failed() {
					continue
				}
				if _, err := pipe.Exec(w.ctx); err != nil {
					w.fail(err)
				}
			}
		}()
	}
	return w
}

// add queues one command of the given weight (about its number of members).
func (w *bulkWriter) add(weight int, queue func(redis.Pipeliner)) {
	queue(w.pipe)
	w.weight += weight + 1
	if w.weight >= bulkPipeline {
		w.send()
	}
}

func (w *bulkWriter) send() {
	if w.pipe.Len() > 0 && !w.failed() {
		w.work <- w.pipe
	}
	w.pipe = w.rdb.Pipeline()
	w.weight = 0
}

func (w *bulkWriter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *bulkWriter) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil
}

// close sends the last pipeline, waits for all and returns the first error.
func (w *bulkWriter) close() error {
	w.send()
	close(w.work)
	w.wg.Wait()
	return w.err
}
