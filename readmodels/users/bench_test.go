package users_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// Benchmarks run against the real Redis at REDIS_URL on BENCH_USERS users
// (default 1,000,000), loaded once under the prefix bench:users:<N>: and
// reused while the marker hash bench:users:<N>-meta says it is complete:
//
//	REDIS_URL=redis://127.0.0.1:6379/0 go test -run '^$' -bench . \
//	    -benchtime 300x -count 3 -timeout 60m ./readmodels/users/
//
// Delete the data set with SCAN bench:users:<N>:* and UNLINK, and the marker.

type benchEnv struct {
	rdb   redis.UniversalClient
	store *users.Store
	data  benchData
	meta  string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		b.Fatal("REDIS_URL is not set: the benchmarks need a real Redis")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatalf("REDIS_URL: %v", err)
	}
	opts.PoolSize = 32
	rdb := redis.NewClient(opts)
	b.Cleanup(func() { rdb.Close() })
	n := 1_000_000
	if s := os.Getenv("BENCH_USERS"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			b.Fatalf("BENCH_USERS=%q: want a number >= 1000", s)
		}
	}
	prefix := fmt.Sprintf("bench:users:%d:", n)
	e := &benchEnv{rdb: rdb, store: users.New(rdb, prefix), data: newBenchData(n), meta: fmt.Sprintf("bench:users:%d-meta", n)}
	e.load(b, prefix)
	return e
}

// load fills the data set unless the marker says it is complete.
func (e *benchEnv) load(b *testing.B, prefix string) {
	ctx := context.Background()
	n := e.data.n
	if e.rdb.HGet(ctx, e.meta, "users").Val() == strconv.Itoa(n) {
		return
	}
	b.Logf("loading %d users under %s (once; later runs reuse them)", n, prefix)
	deletePrefix(b, e.rdb, prefix)
	e.rdb.Del(ctx, e.meta)
	before := usedMemory(b, e.rdb)
	start := time.Now()
	first, err := e.store.ReserveNumbers(ctx, int64(n))
	if err != nil {
		b.Fatal(err)
	}
	const batch = 500
	batches := make(chan int)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range batches {
				if err := e.putBatch(ctx, first, from, min(from+batch, n)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for from := 0; from < n; from += batch {
		select {
		case batches <- from:
		case err := <-errs:
			b.Fatalf("load: %v", err)
		}
		if from%100_000 == 0 && from > 0 {
			b.Logf("loaded %d users in %s", from, time.Since(start).Round(time.Second))
		}
	}
	close(batches)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatalf("load: %v", err)
	default:
	}
	took := time.Since(start)
	after := usedMemory(b, e.rdb)
	b.Logf("loaded %d users in %s; used_memory %d -> %d", n, took.Round(time.Second), before, after)
	e.rdb.HSet(ctx, e.meta, "used_memory_before", before, "used_memory_after", after,
		"load_seconds", int(took.Seconds()), "users", n)
}

func (e *benchEnv) putBatch(ctx context.Context, first int64, from, to int) error {
	pipe := e.rdb.Pipeline()
	for i := from; i < to; i++ {
		d := e.data.doc(i)
		d.Num = first + int64(i)
		if err := e.store.Put(ctx, pipe, nil, d); err != nil {
			return err
		}
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		for _, c := range cmds {
			if c.Err() != nil {
				return fmt.Errorf("%v: %w", c.Args()[0], c.Err())
			}
		}
		return err
	}
	return nil
}

func usedMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	b.Fatal("INFO memory has no used_memory")
	return 0
}

// benchClass draws queries of one class from the data set.
type benchClass struct {
	name string
	draw func(d benchData, r *rand.Rand) users.Query
}

func runePrefix(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

var benchClasses = []benchClass{
	{"text1", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Text: runePrefix(d.doc(r.IntN(d.n)).LastName, 1)}
	}},
	{"text2", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Text: runePrefix(d.doc(r.IntN(d.n)).LastName, 2)}
	}},
	{"text3", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Text: runePrefix(d.doc(r.IntN(d.n)).FirstName, 3)}
	}},
	{"word", func(d benchData, r *rand.Rand) users.Query {
		doc := d.doc(r.IntN(d.n))
		if r.IntN(2) == 0 {
			return users.Query{Text: doc.FirstName}
		}
		return users.Query{Text: doc.LastName}
	}},
	{"small-org", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Orgs: []string{smallOrgID(r.IntN(d.smallOrgs))}}
	}},
	{"status", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Statuses: []string{"active"}}
	}},
	{"two-filters", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Orgs: []string{bigOrgs[r.IntN(len(bigOrgs))].id}, Statuses: []string{"suspended"}}
	}},
	{"three-filters", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Orgs: []string{bigOrgs[r.IntN(len(bigOrgs))].id}, Roles: []string{"author"}, Statuses: []string{"active"}}
	}},
	{"filter+text", func(d benchData, r *rand.Rand) users.Query {
		return users.Query{Statuses: []string{"active"}, Text: runePrefix(d.doc(r.IntN(d.n)).LastName, 3)}
	}},
}

var benchSorts = []users.SortField{users.SortName, users.SortEmail, users.SortCreated, users.SortLastLogin, users.SortStatus}

// variant is one benchmarked query shape with its query instances.
type variant struct {
	name    string
	queries []users.Query
}

const (
	queriesPerVariant = 30
	deepPage          = 50
)

// variants draws the query instances of every class, sort and page (first,
// and the 50th page reached by following cursors).
func (e *benchEnv) variants(b *testing.B) []variant {
	ctx := context.Background()
	var out []variant
	for _, c := range benchClasses {
		r := rand.New(rand.NewPCG(uint64(len(c.name)), 1))
		for _, sort := range benchSorts {
			first := variant{name: fmt.Sprintf("%s/%s/first", c.name, sort)}
			deep := variant{name: fmt.Sprintf("%s/%s/page%d", c.name, sort, deepPage)}
			for range queriesPerVariant {
				q := c.draw(e.data, r)
				q.Sort = sort
				first.queries = append(first.queries, q)
				if len(deep.queries) >= queriesPerVariant/3 {
					continue
				}
				for page := 1; page < deepPage; page++ {
					p, err := e.store.Search(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if p.NextCursor == "" {
						break
					}
					q.Cursor = p.NextCursor
					if page == deepPage-1 {
						deep.queries = append(deep.queries, q)
					}
				}
			}
			out = append(out, first)
			if len(deep.queries) > 0 {
				out = append(out, deep)
			}
		}
	}
	return out
}

// BenchmarkSearch reports per query class, sort and page the median and
// 99th percentile latency of one client.
func BenchmarkSearch(b *testing.B) {
	e := newBenchEnv(b)
	for _, v := range e.variants(b) {
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			plans := map[string]int{}
			var total int64
			b.ResetTimer()
			for i := range b.N {
				q := v.queries[i%len(v.queries)]
				start := time.Now()
				p, err := e.store.Search(ctx, q)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				plans[p.Plan]++
				total += p.Total
			}
			b.StopTimer()
			reportLatencies(b, lat)
			b.ReportMetric(float64(total)/float64(b.N), "matches")
			b.Logf("plans: %v", plans)
		})
	}
}

// BenchmarkSearchParallel runs the mix of every variant from 8 clients and
// reports queries per second.
func BenchmarkSearchParallel(b *testing.B) {
	const clients = 8
	e := newBenchEnv(b)
	var mix []users.Query
	for _, v := range e.variants(b) {
		mix = append(mix, v.queries...)
	}
	rand.New(rand.NewPCG(3, 3)).Shuffle(len(mix), func(i, j int) { mix[i], mix[j] = mix[j], mix[i] })
	b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
		ctx := context.Background()
		var next sync.Mutex
		issued := 0
		lats := make([][]time.Duration, clients)
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					next.Lock()
					i := issued
					issued++
					next.Unlock()
					if i >= b.N {
						return
					}
					t := time.Now()
					if _, err := e.store.Search(ctx, mix[i%len(mix)]); err != nil {
						b.Error(err)
						return
					}
					lats[c] = append(lats[c], time.Since(t))
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "queries/s")
		reportLatencies(b, slices.Concat(lats...))
	})
}

func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkMemory reports Redis memory per user: the used_memory growth
// while loading, and MEMORY USAGE summed over the data set's keys (per-user
// hashes sampled 1 in 50), with a breakdown by key family in the log. The
// scan runs once per process: the benchmark framework calls this function
// more than once.
func BenchmarkMemory(b *testing.B) {
	e := newBenchEnv(b)
	m := memoryOnce(func() memoryReport { return e.measureMemory(b) })
	for _, f := range m.families {
		b.Logf("%-12s %8.1f bytes/user", f.name, f.perUser)
	}
	b.ReportMetric(m.usedPerUser, "used-bytes/user")
	b.ReportMetric(m.usagePerUser, "usage-bytes/user")
}

type memoryReport struct {
	usedPerUser, usagePerUser float64
	families                  []struct {
		name    string
		perUser float64
	}
}

var (
	memoryMu     sync.Mutex
	memoryCached *memoryReport
)

func memoryOnce(measure func() memoryReport) memoryReport {
	memoryMu.Lock()
	defer memoryMu.Unlock()
	if memoryCached == nil {
		m := measure()
		memoryCached = &m
	}
	return *memoryCached
}

func (e *benchEnv) measureMemory(b *testing.B) memoryReport {
	ctx := context.Background()
	meta := e.rdb.HGetAll(ctx, e.meta).Val()
	before, _ := strconv.ParseFloat(meta["used_memory_before"], 64)
	after, _ := strconv.ParseFloat(meta["used_memory_after"], 64)
	n := float64(e.data.n)
	prefix := fmt.Sprintf("bench:users:%d:", e.data.n)
	families := map[string]float64{}
	var sampled []string
	flush := func() {
		pipe := e.rdb.Pipeline()
		cmds := make([]*redis.IntCmd, len(sampled))
		for i, k := range sampled {
			cmds[i] = pipe.MemoryUsage(ctx, k, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		for i, k := range sampled {
			family, weight := keyFamily(strings.TrimPrefix(k, prefix))
			families[family] += float64(cmds[i].Val()) * weight
		}
		sampled = sampled[:0]
	}
	iter := e.rdb.Scan(ctx, 0, prefix+"*", 2000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if _, weight := keyFamily(strings.TrimPrefix(k, prefix)); weight > 1 && fnv(k)%50 != 0 {
			continue
		}
		sampled = append(sampled, k)
		if len(sampled) == 1000 {
			flush()
		}
	}
	if err := iter.Err(); err != nil {
		b.Fatal(err)
	}
	flush()
	m := memoryReport{usedPerUser: (after - before) / n}
	for name, v := range families {
		m.usagePerUser += v / n
		m.families = append(m.families, struct {
			name    string
			perUser float64
		}{name, v / n})
	}
	slices.SortFunc(m.families, func(a, b struct {
		name    string
		perUser float64
	}) int {
		return strings.Compare(a.name, b.name)
	})
	return m
}

// keyFamily names a key's family and the weight of its sample: per-user
// keys are sampled 1 in 50.
func keyFamily(k string) (string, float64) {
	for _, f := range []string{"d:", "nt:"} {
		if strings.HasPrefix(k, f) {
			return f, 50
		}
	}
	for _, f := range []string{"id:", "g:st:", "g:ro:", "g:og:", "g:px:", "g:wd:"} {
		if strings.HasPrefix(k, f) {
			if f == "g:px:" {
				p := strings.TrimPrefix(k, f)
				return fmt.Sprintf("g:px:%d", min(3, utf8.RuneCountInString(p))), 1
			}
			return f, 1
		}
	}
	for _, f := range []string{"g:bk:name:", "g:bk:email:", "g:bk:created:", "g:bk:login:"} {
		if strings.HasPrefix(k, f) {
			return f + k[len(f):len(f)+1], 1
		}
	}
	return k, 1
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
