package users_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/users"
)

// bulkTunings are the write tunings a bulk load is checked under: the
// production ones, every representation the search tests force, and two
// where a set's limit grows with the number of users (memberBytes > 0) and
// hot prefixes hinge on how hot words changed their cost along the way.
var bulkTunings = append(slices.Clone(writeTunings),
	struct {
		name string
		t    func(users.TestTuning) users.TestTuning
	}{"big groups", func(t users.TestTuning) users.TestTuning {
		t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 40, 0, 8, 12
		return t
	}},
	struct {
		name string
		t    func(users.TestTuning) users.TestTuning
	}{"hot word costs 20/40", func(t users.TestTuning) users.TestTuning {
		t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 2, 1, 20, 40
		return t
	}},
	struct {
		name string
		t    func(users.TestTuning) users.TestTuning
	}{"hot word costs 10/25", func(t users.TestTuning) users.TestTuning {
		t.SetMin, t.MemberBytes, t.HotWordMin, t.HotPrefixMin = 2, 1, 10, 25
		return t
	}},
)

// TestBulkLoadMatchesPuts loads the same users once by Put, one MULTI/EXEC
// each in number order, and once by BulkLoad, under two prefixes; then
// applies the same later changes by Put to both. After each step the two
// keyspaces must be identical key by key, and every query must answer the
// same pages, totals and cursors.
func TestBulkLoadMatchesPuts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		n, queries, changes := 300, 24, 150
		if e.inProcess {
			n, queries, changes = 80, 6, 40
		}
		for _, w := range bulkTunings {
			t.Run(w.name, func(t *testing.T) {
				ctx := context.Background()
				r := rand.New(rand.NewPCG(7, uint64(len(w.name))))
				tuning := w.t(users.DefaultTestTuning())
				incr, bulk := e.sibling(t), e.sibling(t)
				si, sb := incr.store.Tuned(tuning), bulk.store.Tuned(tuning)
				docs := bulkDocs(r, n)

				first, err := si.ReserveNumbers(ctx, int64(len(docs)))
				if err != nil || first != 1 {
					t.Fatalf("reserve numbers: first %d, %v", first, err)
				}
				for i := range docs {
					d := docs[i]
					d.Num = int64(i + 1)
					incr.exec(t, func(pipe redis.Pipeliner) error { return si.Put(ctx, pipe, nil, d) })
				}
				loaded := slices.Clone(docs)
				if err := sb.BulkLoad(ctx, loaded); err != nil {
					t.Fatalf("bulk load: %v", err)
				}
				for i, d := range loaded {
					if d.Num != int64(i+1) {
						t.Fatalf("doc %d got number %d, want %d", i, d.Num, i+1)
					}
				}
				sameKeyspace(t, incr, bulk)
				sameSearches(t, incr, bulk, si, sb, loaded, r, queries)

				// Later changes by Put and Remove work on a bulk-loaded model
				// as on one built by Put.
				current := slices.Clone(loaded)
				for range changes {
					i := r.IntN(len(current) + 1)
					switch {
					case i == len(current):
						d := bulkDocs(r, 1)[len(fixture)-1]
						for _, side := range []struct {
							e *env
							s *users.Store
						}{{incr, si}, {bulk, sb}} {
							num, err := side.s.Number(ctx, d.ID)
							if err != nil {
								t.Fatal(err)
							}
							if num != int64(len(current)+1) {
								t.Fatalf("number of a new user %d, want %d", num, len(current)+1)
							}
							d.Num = num
							side.e.exec(t, func(pipe redis.Pipeliner) error { return side.s.Put(ctx, pipe, nil, d) })
						}
						current = append(current, d)
					case current[i].ID == uuid.Nil:
						// removed earlier
					case r.IntN(12) == 0:
						old := current[i]
						incr.exec(t, func(pipe redis.Pipeliner) error { return si.Remove(ctx, pipe, old) })
						bulk.exec(t, func(pipe redis.Pipeliner) error { return sb.Remove(ctx, pipe, old) })
						current[i] = users.Doc{}
					default:
						old := current[i]
						d := mutate(r, old)
						incr.exec(t, func(pipe redis.Pipeliner) error { return si.Put(ctx, pipe, &old, d) })
						bulk.exec(t, func(pipe redis.Pipeliner) error { return sb.Put(ctx, pipe, &old, d) })
						current[i] = d
					}
				}
				sameKeyspace(t, incr, bulk)
				live := slices.DeleteFunc(slices.Clone(current), func(d users.Doc) bool { return d.ID == uuid.Nil })
				sameSearches(t, incr, bulk, si, sb, live, r, queries)
			})
		}
	})
}

func TestBulkLoadRefuses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := rand.New(rand.NewPCG(1, 2))
		cases := []struct {
			name  string
			setup func(e *env)
			docs  func() []users.Doc
			want  error
		}{
			{"a user numbered before", func(e *env) {
				if _, err := e.store.Number(ctx, uuid.New()); err != nil {
					t.Fatal(err)
				}
			}, func() []users.Doc { return randomDocs(r, 3) }, users.ErrNotEmpty},
			{"a doc without status", func(*env) {}, func() []users.Doc {
				docs := randomDocs(r, 3)
				docs[1].Status = ""
				return docs
			}, users.ErrInvalidDoc},
			{"an ID given twice", func(*env) {}, func() []users.Doc {
				docs := randomDocs(r, 3)
				docs[2].ID = docs[0].ID
				return docs
			}, users.ErrInvalidDoc},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := e.sibling(t)
				tc.setup(e)
				before := e.keys(t)
				err := e.store.BulkLoad(ctx, tc.docs())
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if after := e.keys(t); !slices.Equal(sorted(after), sorted(before)) {
					t.Fatalf("a refused bulk load wrote keys: %v -> %v", before, after)
				}
			})
		}
		// Nothing to load writes nothing, and leaves the model empty.
		e = e.sibling(t)
		if err := e.store.BulkLoad(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if keys := e.keys(t); len(keys) != 0 {
			t.Fatalf("empty bulk load wrote %v", keys)
		}
	})
}

// bulkDocs returns the fixture's users, then n random ones with revisions,
// teams, locks, org roles, logins, notes, invitations and sign-up
// attributes.
func bulkDocs(r *rand.Rand, n int) []users.Doc {
	var docs []users.Doc
	for i := 1; i < len(fixture); i++ {
		docs = append(docs, fixture[i].doc())
	}
	for _, d := range randomDocs(r, n) {
		d.Revision = int64(r.IntN(9))
		d.Teams = randomTeams(r)
		if len(d.Teams) > 0 && r.IntN(10) == 0 {
			d.Teams = append(d.Teams, d.Teams[0]) // Put takes a team given twice once
		}
		if r.IntN(8) == 0 {
			d.Locked = true
			if r.IntN(2) == 0 {
				d.LockedUntil = day(70 + r.IntN(5))
			}
		}
		if d.Org != "" && r.IntN(2) == 0 {
			d.OrgRole = "member"
		}
		if r.IntN(6) == 0 {
			d.Notes = []users.Note{{ID: uuid.New(), At: day(r.IntN(9)), Author: "admin", Text: fmt.Sprintf("note %d", r.IntN(100))}}
		}
		if d.Invitation == users.InvitationPending {
			d.InvitationExpiresAt = d.InvitationSentAt.Add(7 * 24 * time.Hour)
		}
		if r.IntN(5) == 0 {
			d.Source = "registration"
			d.Attributes = map[string]string{"team_size": strconv.Itoa(r.IntN(50)), "newsletter": "true"}
		}
		docs = append(docs, d)
	}
	return docs
}

func randomTeams(r *rand.Rand) []users.Team {
	var teams []users.Team
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		if r.IntN(4) == 0 {
			teams = append(teams, users.Team{ID: id, Role: []string{"", "lead"}[r.IntN(2)]})
		}
	}
	return teams
}

// mutate returns d with one or two fields changed, as later events would.
func mutate(r *rand.Rand, d users.Doc) users.Doc {
	other := bulkDocs(r, 1)[len(fixture)-1]
	d.Roles, d.Teams, d.Notes = slices.Clone(d.Roles), slices.Clone(d.Teams), slices.Clone(d.Notes)
	d.Revision++
	for range 1 + r.IntN(2) {
		switch r.IntN(10) {
		case 0:
			d.FirstName, d.LastName = other.FirstName, other.LastName
		case 1:
			d.Email = other.Email
		case 2:
			d.Status = other.Status
		case 3:
			d.Roles = other.Roles
		case 4:
			d.Org, d.OrgRole = other.Org, other.OrgRole
		case 5:
			d.Teams = randomTeams(r)
		case 6:
			d.Locked, d.LockedUntil = !d.Locked, other.LockedUntil
		case 7:
			d.LastLogin = day(90 + r.IntN(9))
		case 8:
			d.Invitation, d.InvitationSentAt, d.InvitationExpiresAt = other.Invitation, other.InvitationSentAt, other.InvitationExpiresAt
		case 9:
			d.Source, d.Attributes = other.Source, other.Attributes
		}
	}
	return d
}

// sameKeyspace fails unless both envs hold the same keys with the same
// types and contents (key names inside values compared without prefix).
func sameKeyspace(t *testing.T, a, b *env) {
	t.Helper()
	da, db := dumpKeyspace(t, a), dumpKeyspace(t, b)
	var diffs []string
	for k, va := range da {
		if vb, ok := db[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q only by Put: %.200q", k, va))
		} else if va != vb {
			diffs = append(diffs, fmt.Sprintf("%q differs:\n  by Put:  %.300q\n  by bulk: %.300q", k, va, vb))
		}
	}
	for k, vb := range db {
		if _, ok := da[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q only by bulk load: %.200q", k, vb))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Fatalf("keyspaces differ in %d of %d/%d keys:\n%s", len(diffs), len(da), len(db), strings.Join(diffs[:min(len(diffs), 12)], "\n"))
	}
	if len(da) < 50 {
		t.Fatalf("only %d keys: the data set is too small to compare", len(da))
	}
}

// dumpKeyspace returns every key under e's prefix (without it) with its
// type and contents.
func dumpKeyspace(t *testing.T, e *env) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range e.keys(t) {
		key := e.prefix + k
		typ, err := e.rdb.Type(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		var v string
		switch typ {
		case "string":
			v, err = e.rdb.Get(ctx, key).Result()
		case "set":
			var m []string
			m, err = e.rdb.SMembers(ctx, key).Result()
			v = strings.Join(sorted(m), ",")
		case "zset":
			var zs []redis.Z
			zs, err = e.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
			parts := make([]string, len(zs))
			for i, z := range zs {
				parts[i] = fmt.Sprintf("%v=%v", z.Member, z.Score)
			}
			v = strings.Join(parts, ",")
		case "hash":
			var h map[string]string
			h, err = e.rdb.HGetAll(ctx, key).Result()
			var parts []string
			for f, x := range h {
				parts = append(parts, f+"="+x)
			}
			v = strings.Join(sorted(parts), ",")
		default:
			t.Fatalf("key %s of unexpected type %s", key, typ)
		}
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		out[k] = typ + ":" + strings.ReplaceAll(v, e.prefix, "P:")
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// sameSearches runs random queries in every sort order and direction on
// both stores and walks their cursors to the end: pages, totals and
// cursors must agree. docs are the users both hold, for query words.
func sameSearches(t *testing.T, a, b *env, sa, sb *users.Store, docs []users.Doc, r *rand.Rand, queries int) {
	t.Helper()
	sorts := []users.SortField{users.SortName, users.SortEmail, users.SortCreated, users.SortLastLogin, users.SortStatus}
	for i := range queries {
		q := bulkQuery(r, docs)
		qt := queryTunings[i%len(queryTunings)]
		qa, qb := sa.Tuned(qt.t(users.DefaultTestTuning())), sb.Tuned(qt.t(users.DefaultTestTuning()))
		for _, s := range sorts {
			for _, desc := range []bool{false, true} {
				q.Sort, q.Desc, q.Cursor = s, desc, ""
				samePages(t, a, b, qa, qb, q, qt.name)
			}
		}
	}
}

func samePages(t *testing.T, a, b *env, sa, sb *users.Store, q users.Query, tuning string) {
	t.Helper()
	for pages := 1; ; pages++ {
		pa, pb := a.search(t, sa, q), b.search(t, sb, q)
		if pa.Total != pb.Total || pa.NextCursor != pb.NextCursor || !reflect.DeepEqual(pa.Users, pb.Users) {
			t.Fatalf("%s: %s teams=%v locks=%v page %d: by Put %d users of %d (plan %s), by bulk %d of %d (plan %s); users or cursors differ",
				tuning, describe(q), q.Teams, q.Locks, pages, len(pa.Users), pa.Total, pa.Plan, len(pb.Users), pb.Total, pb.Plan)
		}
		if pa.NextCursor == "" {
			return
		}
		if pages > 1000 {
			t.Fatal("more than 1000 pages")
		}
		q.Cursor = pa.NextCursor
	}
}

// bulkQuery draws a query: the oracle's, or a text of 1 to 5 letters from a
// user's name or email, with team and lock filters now and then.
func bulkQuery(r *rand.Rand, docs []users.Doc) users.Query {
	q := randomQuery(r, docs)
	if r.IntN(2) == 0 {
		d := docs[r.IntN(len(docs))]
		source := []string{d.FirstName, d.LastName, d.Email}[r.IntN(3)]
		runes := []rune(source)
		q.Text = string(runes[:min(len(runes), 1+r.IntN(5))])
	}
	if r.IntN(4) == 0 {
		q.Teams = []string{[]string{"t1", "t2", "t3", "t4"}[r.IntN(4)]}
	}
	if r.IntN(6) == 0 {
		q.Locks = []string{users.LockLocked}
	}
	q.Limit = []int{7, 40, 200}[r.IntN(3)]
	return q
}

// benchUsers is BENCH_BULK_USERS, the size of the bulk benchmarks' data
// set (default 50,000, the rebuild benchmark's seed).
func benchUsers(b *testing.B) int {
	b.Helper()
	n := 50_000
	if s := os.Getenv("BENCH_BULK_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("BENCH_BULK_USERS=%q: want a positive number", s)
		}
	}
	return n
}

// benchRedis connects to the real Redis at REDIS_URL.
func benchRedis(b *testing.B) redis.UniversalClient {
	b.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		b.Fatal("REDIS_URL is not set: the benchmark needs a real Redis")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	b.Cleanup(func() { rdb.Close() })
	return rdb
}

// BenchmarkBulkLoad loads BENCH_BULK_USERS generated users into a fresh
// prefix of the real Redis per iteration.
func BenchmarkBulkLoad(b *testing.B) {
	n := benchUsers(b)
	rdb := benchRedis(b)
	data := newBenchData(n)
	docs := make([]users.Doc, n)
	for i := range docs {
		docs[i] = data.doc(i)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		prefix := fmt.Sprintf("bench:bulk:%d:%d:", time.Now().UnixNano(), i)
		err := users.New(rdb, prefix).BulkLoad(ctx, slices.Clone(docs))
		b.StopTimer()
		deletePrefix(b, rdb, prefix)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
}

// BenchmarkPut measures the incremental path on top of BENCH_BULK_USERS
// bulk-loaded users, in MULTI/EXEC batches of 128 Puts as the projector
// commits them: "new" puts users never seen, "rename" gives existing users
// another user's name and email.
func BenchmarkPut(b *testing.B) {
	n := benchUsers(b)
	rdb := benchRedis(b)
	ctx := context.Background()
	for _, mode := range []string{"new", "rename"} {
		b.Run(mode, func(b *testing.B) {
			data := newBenchData(n + b.N)
			docs := make([]users.Doc, n)
			for i := range docs {
				docs[i] = data.doc(i)
			}
			prefix := fmt.Sprintf("bench:put:%d:", time.Now().UnixNano())
			b.Cleanup(func() { deletePrefix(b, rdb, prefix) })
			s := users.New(rdb, prefix)
			if err := s.BulkLoad(ctx, docs); err != nil {
				b.Fatal(err)
			}
			first, err := s.ReserveNumbers(ctx, int64(b.N))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for from := 0; from < b.N; from += 128 {
				_, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					w := s.Writer(pipe) // as the projector writes a batch
					for i := from; i < min(b.N, from+128); i++ {
						other := data.doc(n + i)
						if mode == "new" {
							other.Num = first + int64(i)
							if err := w.Put(ctx, nil, other); err != nil {
								return err
							}
							continue
						}
						old := &docs[i%n]
						d := *old
						d.FirstName, d.LastName, d.Email = other.FirstName, other.LastName, other.Email
						if err := w.Put(ctx, old, d); err != nil {
							return err
						}
						*old = d
					}
					w.Flush(ctx)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
