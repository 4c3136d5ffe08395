package users_test

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/users"
)

func TestGetRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		want := fixture[1].doc()
		want.Deleted = true
		want.Revision = 7
		want.Invitation = users.InvitationPending
		want.InvitationSentAt, want.InvitationExpiresAt = day(2), day(9).Add(1500*time.Millisecond)
		want.Source = "registration"
		want.Attributes = map[string]string{"department": "Ventas", "birthday": "1990-02-01", "quote": `"a", b`}
		want.Notes = []users.Note{
			{ID: uuid.New(), At: day(3), Author: "admin-1", Text: "Called about the invoice; prefers email."},
			{ID: uuid.New(), At: day(4), Author: "admin-2", Text: "Ünïcode ✓"},
		}
		want = e.insert(t, e.store, want)[0]

		got, err := e.store.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		assertSameDoc(t, got, want)

		// Never logged in: LastLogin stays zero; no notes: nil.
		plain := e.insert(t, e.store, fixture[3].doc())[0]
		got, err = e.store.Get(ctx, plain.ID)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if !got.LastLogin.IsZero() || got.Notes != nil || got.Deleted || got.Attributes != nil {
			t.Errorf("got %+v, want no last login, no notes, no attributes, not deleted", got)
		}

		if _, err := e.store.Get(ctx, uuid.New()); !errors.Is(err, users.ErrNotFound) {
			t.Errorf("get unknown: %v, want ErrNotFound", err)
		}
		// Numbered but never put is not found either.
		id := uuid.New()
		if _, err := e.store.Number(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Get(ctx, id); !errors.Is(err, users.ErrNotFound) {
			t.Errorf("get numbered-only: %v, want ErrNotFound", err)
		}
	})
}

func assertSameDoc(t *testing.T, got, want users.Doc) {
	t.Helper()
	if got.ID != want.ID || got.Num != want.Num || got.Revision != want.Revision ||
		got.Email != want.Email || got.FirstName != want.FirstName || got.LastName != want.LastName ||
		!slices.Equal(got.Roles, want.Roles) || got.Org != want.Org || got.Status != want.Status ||
		!got.Created.Equal(want.Created) || !got.LastLogin.Equal(want.LastLogin) || got.Deleted != want.Deleted ||
		len(got.Notes) != len(want.Notes) || got.OrgRole != want.OrgRole || !slices.Equal(got.Teams, want.Teams) ||
		got.Locked != want.Locked || got.TwoFactor != want.TwoFactor || !got.LockedUntil.Equal(want.LockedUntil) ||
		got.Invitation != want.Invitation || !got.InvitationExpiresAt.Equal(want.InvitationExpiresAt) ||
		!got.InvitationSentAt.Equal(want.InvitationSentAt) || got.Source != want.Source ||
		!maps.Equal(got.Attributes, want.Attributes) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for i := range want.Notes {
		g, w := got.Notes[i], want.Notes[i]
		if g.ID != w.ID || !g.At.Equal(w.At) || g.Author != w.Author || g.Text != w.Text {
			t.Errorf("note %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestNumberIsStable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, b := uuid.New(), uuid.New()
		na, err := e.store.Number(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		nb, _ := e.store.Number(ctx, b)
		again, _ := e.store.Number(ctx, a)
		if na == nb || again != na || na <= 0 {
			t.Errorf("numbers a=%d b=%d a again=%d", na, nb, again)
		}
	})
}

func TestUpdateMovesUserBetweenIndexes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, w := range writeTunings {
			t.Run(w.name, func(t *testing.T) {
				e := e.sibling(t)
				s := e.store.Tuned(w.t(users.DefaultTestTuning()))
				ctx := context.Background()
				l := loadFixture(t, e, s)

				// José Núñez becomes Zacarías Quintana of beta, suspended, an
				// expert, with a new email, creation date and login, and an
				// accepted invitation.
				old := l.docs[1]
				nu := old
				nu.FirstName, nu.LastName, nu.Email = "Zacarías", "Quintana", "zq@beta.example"
				nu.Org, nu.Status, nu.Roles = "beta", "suspended", []string{"expert"}
				nu.Created, nu.LastLogin = day(100), day(101)
				nu.Invitation, nu.InvitationSentAt = users.InvitationAccepted, day(99)
				e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(ctx, pipe, &old, nu) })
				// Putting the same state again changes nothing.
				e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(ctx, pipe, &nu, nu) })
				// François accepts his invitation: active, no expiry left.
				// Иван, who signed up, is deleted and anonymized: name, email
				// and attributes go, his source stays.
				invited := l.docs[5]
				accepted := invited
				accepted.Status, accepted.Invitation, accepted.InvitationExpiresAt = "active", users.InvitationAccepted, time.Time{}
				e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(ctx, pipe, &invited, accepted) })
				signedUp := l.docs[12]
				erased := signedUp
				erased.Status, erased.Deleted = "deleted", true
				erased.FirstName, erased.LastName, erased.Email, erased.Attributes = "", "", "", nil
				e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(ctx, pipe, &signedUp, erased) })

				for _, tc := range []struct {
					q    users.Query
					want []int
				}{
					{users.Query{Text: "nunez"}, nil},
					{users.Query{Text: "jose"}, []int{13}},
					{users.Query{Text: "zac"}, []int{1}},
					{users.Query{Text: "quintana zacarias"}, []int{1}},
					{users.Query{Text: "jose.nunez@"}, nil},
					{users.Query{Text: "zq@beta"}, []int{1}},
					{users.Query{Orgs: []string{"acme"}}, []int{2, 13, 7, 14}},
					{users.Query{Orgs: []string{"beta"}}, []int{11, 3, 4, 1}},
					{users.Query{Roles: []string{"member"}, Orgs: []string{"beta", "acme"}}, []int{2, 11, 13, 3}},
					{users.Query{Roles: []string{"expert"}}, []int{4, 1}},
					{users.Query{Statuses: []string{"suspended"}}, []int{9, 13, 3, 1}},
					// Иван, erased, has no name left: first ascending.
					{users.Query{Sort: users.SortName, Desc: true, Limit: 3}, []int{6, 1, 4}},
					{users.Query{Sort: users.SortEmail, Desc: true, Limit: 2}, []int{1, 6}},
					{users.Query{Sort: users.SortCreated, Desc: true, Limit: 2}, []int{1, 14}},
					{users.Query{Sort: users.SortLastLogin, Desc: true, Limit: 2}, []int{1, 10}},
					{users.Query{Sort: users.SortStatus, Desc: true, Limit: 2}, []int{1, 3}},
					{users.Query{Statuses: []string{"invited"}}, nil},
					{users.Query{Statuses: []string{"unverified"}}, nil},
					{users.Query{Statuses: []string{"deleted"}}, []int{12}},
					{users.Query{Text: "ив"}, nil},
					{users.Query{Invitations: []string{users.InvitationAccepted}}, []int{5, 2, 7, 1}},
					{users.Query{Invitations: []string{users.InvitationPending}}, []int{13}},
				} {
					p := e.search(t, s, tc.q)
					if got := l.rows(p.Users); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
						t.Errorf("%s: got %v, want %v", describe(tc.q), got, tc.want)
					}
				}
				for _, want := range []users.Doc{nu, accepted, erased} {
					got, err := s.Get(ctx, want.ID)
					if err != nil {
						t.Fatal(err)
					}
					assertSameDoc(t, got, want)
				}
				// The erased attributes are gone from the details hash, not
				// just hidden.
				fields, err := e.rdb.HKeys(ctx, e.prefix+"d:"+strconv.FormatInt(erased.Num, 10)).Result()
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(fields, "at") || !slices.Contains(fields, "so") {
					t.Errorf("details fields of the erased user: %q, want source but no attributes", fields)
				}
			})
		}
	})
}

func TestRemoveLeavesNothingBehind(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, w := range writeTunings {
			t.Run(w.name, func(t *testing.T) {
				e := e.sibling(t)
				s := e.store.Tuned(w.t(users.DefaultTestTuning()))
				ctx := context.Background()
				l := loadFixture(t, e, s)
				// Give one user notes, so its notes key exists.
				withNotes := l.docs[2]
				withNotes.Notes = []users.Note{{ID: uuid.New(), At: day(1), Author: "a", Text: "n"}}
				old := l.docs[2]
				e.exec(t, func(pipe redis.Pipeliner) error { return s.Put(ctx, pipe, &old, withNotes) })
				l.docs[2] = withNotes

				for i := 1; i < len(l.docs); i++ {
					d := l.docs[i]
					e.exec(t, func(pipe redis.Pipeliner) error { return s.Remove(ctx, pipe, d) })
				}
				if left := e.keys(t); !slices.Equal(left, []string{"seq"}) {
					t.Errorf("keys left after removing everyone: %q, want only the number counter", left)
				}
				if p := e.search(t, s, users.Query{}); p.Total != 0 || len(p.Users) != 0 {
					t.Errorf("search after removal: %+v", p)
				}
				if _, err := s.Get(ctx, l.docs[1].ID); !errors.Is(err, users.ErrNotFound) {
					t.Errorf("get removed: %v, want ErrNotFound", err)
				}
			})
		}
	})
}

func TestPutRejectsInvalidDocs(t *testing.T) {
	// The pipeline is never executed: Put only queues.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	s := users.New(rdb, "unused:")
	good := fixture[1].doc()
	good.Num = 1
	for name, mutate := range map[string]func(*users.Doc){
		"nil ID":             func(d *users.Doc) { d.ID = uuid.Nil },
		"no number":          func(d *users.Doc) { d.Num = 0 },
		"no status":          func(d *users.Doc) { d.Status = "" },
		"empty role":         func(d *users.Doc) { d.Roles = []string{""} },
		"comma role":         func(d *users.Doc) { d.Roles = []string{"a,b"} },
		"colon team":         func(d *users.Doc) { d.Teams = []users.Team{{ID: "a:b"}} },
		"comma team role":    func(d *users.Doc) { d.Teams = []users.Team{{ID: "t", Role: "a,b"}} },
		"nul status":         func(d *users.Doc) { d.Status = "a\x00" },
		"huge number":        func(d *users.Doc) { d.Num = 1 << 40 },
		"unknown invitation": func(d *users.Doc) { d.Invitation = "expired" },
		"created zero":       nil,
	} {
		d := good
		if mutate == nil {
			d.Created = time.Time{}
			if err := s.Put(context.Background(), rdb.Pipeline(), nil, d); err != nil {
				t.Errorf("%s: %v, want accepted", name, err)
			}
			continue
		}
		mutate(&d)
		if err := s.Put(context.Background(), rdb.Pipeline(), nil, d); !errors.Is(err, users.ErrInvalidDoc) {
			t.Errorf("%s: %v, want ErrInvalidDoc", name, err)
		}
	}
	other := good
	other.ID = uuid.New()
	if err := s.Put(context.Background(), rdb.Pipeline(), &other, good); !errors.Is(err, users.ErrInvalidDoc) {
		t.Errorf("old doc of another user: %v, want ErrInvalidDoc", err)
	}
}

// TestWriterSendsScriptOnce puts the fixture in one MULTI/EXEC through a
// Writer, as the projector does with a batch: groups.lua's source goes
// once (SCRIPT LOAD), and one EVALSHA carries every user's group changes,
// even into a Redis that has no script cached; the keyspace equals the one
// built by a Put per transaction.
func TestWriterSendsScriptOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var docs []users.Doc
		for _, p := range fixture[1:] {
			docs = append(docs, p.doc())
		}
		one := e.sibling(t)
		one.insert(t, one.store, docs...)

		for i := range docs {
			num, err := e.store.Number(ctx, docs[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			docs[i].Num = num
		}
		if e.inProcess { // a private server: forget every script first
			if err := e.rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if cached, err := e.rdb.ScriptExists(ctx, users.GroupsSHA()).Result(); err != nil || cached[0] {
				t.Fatalf("groups.lua still cached after SCRIPT FLUSH (%v)", err)
			}
		}
		cmds, err := e.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			w := e.store.Writer(pipe)
			for _, d := range docs {
				if err := w.Put(ctx, nil, d); err != nil {
					return err
				}
			}
			w.Flush(ctx)
			return nil
		})
		if err != nil {
			t.Fatalf("exec: %v", err)
		}
		sent := map[string]int{}
		for _, c := range cmds {
			sent[c.Name()]++
		}
		if sent["script"] != 1 || sent["evalsha"] != 1 || sent["eval"] != 0 {
			t.Errorf("sent %d SCRIPT, %d EVALSHA, %d EVAL for %d users; want 1, 1, 0",
				sent["script"], sent["evalsha"], sent["eval"], len(docs))
		}
		sameKeyspace(t, one, e)
	})
}

// TestWriterBatchesEqualOneByOne: random users created, changed, changed
// twice in one batch and removed, in batches of random size through one
// Writer each, leave exactly the keyspace that the reference, groups.lua as
// it was with one call per user (FlushPerUser), leaves with one Put or
// Remove per transaction, under every write tuning: sets turning into
// bitmaps, words and prefixes turning hot, and groups emptying, all within
// a batch.
func TestWriterBatchesEqualOneByOne(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		n := 300
		if e.inProcess {
			n = 120
		}
		for _, wt := range writeTunings {
			t.Run(wt.name, func(t *testing.T) {
				ctx := context.Background()
				one, batched := e.sibling(t), e.sibling(t)
				tuning := wt.t(users.DefaultTestTuning())
				oneStore, batchStore := one.store.Tuned(tuning), batched.store.Tuned(tuning)
				r := rand.New(rand.NewPCG(7, uint64(len(wt.name))))
				// Three users whose names each extend the one before: in one
				// batch, each prefix's cost must be counted after the users
				// before it, not remembered from them.
				ladder := randomDocs(r, 3)
				for i, name := range []string{"Anna", "Annabel", "Annabeth"} {
					ladder[i].FirstName = name
				}
				docs := append(randomDocs(r, n), ladder...)
				for i := range docs {
					for _, s := range []*users.Store{oneStore, batchStore} {
						num, err := s.Number(ctx, docs[i].ID)
						if err != nil {
							t.Fatal(err)
						}
						docs[i].Num = num
					}
				}
				current := make([]*users.Doc, len(docs)) // as last put; nil when not in the model
				// op is one change: the doc after it, or nil to remove.
				type op struct {
					i   int
					doc *users.Doc
				}
				var rounds [][]op
				var first []op
				for i := range n {
					d := docs[i]
					first = append(first, op{i, &d})
				}
				rounds = append(rounds, first)
				var last []op // the ladder, last and in one batch
				for i := n; i < len(docs); i++ {
					d := docs[i]
					last = append(last, op{i, &d})
				}
				for range 3 {
					var round []op
					for _, other := range randomDocs(r, n/2) {
						i := r.IntN(n)
						if r.IntN(6) == 0 {
							round = append(round, op{i, nil})
							continue
						}
						d := docs[i]
						d.FirstName, d.LastName, d.Email, d.Status, d.Roles = other.FirstName, other.LastName, other.Email, other.Status, other.Roles
						d.Org, d.Invitation, d.InvitationSentAt, d.LastLogin = other.Org, other.Invitation, other.InvitationSentAt, other.LastLogin
						round = append(round, op{i, &d})
					}
					rounds = append(rounds, round)
				}
				rounds = append(rounds, last)
				// apply queues one op into w and tracks the doc as last put.
				apply := func(w *users.Writer, cur []*users.Doc, o op) error {
					old := cur[o.i]
					switch {
					case o.doc == nil && old == nil:
						return nil
					case o.doc == nil:
						cur[o.i] = nil
						return w.Remove(ctx, *old)
					}
					cur[o.i] = o.doc
					return w.Put(ctx, old, *o.doc)
				}
				batchedCur := make([]*users.Doc, len(docs))
				for k, round := range rounds {
					for _, o := range round {
						one.exec(t, func(pipe redis.Pipeliner) error {
							w := oneStore.Writer(pipe)
							if err := apply(w, current, o); err != nil {
								return err
							}
							w.FlushPerUser(ctx)
							return nil
						})
					}
					for from := 0; from < len(round); {
						to := min(len(round), from+1+r.IntN(60))
						if k == len(rounds)-1 {
							to = len(round)
						}
						batched.exec(t, func(pipe redis.Pipeliner) error {
							w := batchStore.Writer(pipe)
							for _, o := range round[from:to] {
								if err := apply(w, batchedCur, o); err != nil {
									return err
								}
							}
							w.Flush(ctx)
							return nil
						})
						from = to
					}
				}
				sameKeyspace(t, one, batched)
			})
		}
	})
}

// TestWriterReloadsAfterExec reuses one Writer and pipeline for two
// transactions, on a server that forgets its scripts in between: the
// second transaction must load groups.lua again.
func TestWriterReloadsAfterExec(t *testing.T) {
	// SCRIPT FLUSH is for a private server only, never the shared Redis.
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	e := newEnv(t, rdb)
	{
		ctx := context.Background()
		pipe := e.rdb.TxPipeline()
		w := e.store.Writer(pipe)
		for i, p := range fixture[1:3] {
			d := p.doc()
			num, err := e.store.Number(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			d.Num = num
			if err := e.rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := w.Put(ctx, nil, d); err != nil {
				t.Fatal(err)
			}
			w.Flush(ctx)
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatalf("transaction %d: %v", i+1, err)
			}
			if _, err := e.store.Get(ctx, d.ID); err != nil {
				t.Fatalf("transaction %d: get: %v", i+1, err)
			}
		}
	}
}

// TestGroupsScriptRefusesMalformedCalls: groups.lua checks every user's
// operations before its first write, so a malformed call (which the Writer
// never sends) fails having changed nothing, and never loops.
func TestGroupsScriptRefusesMalformedCalls(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		valid := []any{1, 2, "+g", "ro:member", "+s", "active"}
		for _, tc := range []struct {
			name string
			ops  []any
		}{
			{"negative count", []any{2, -1, "+g", "ro:member"}},
			{"zero count", []any{2, 0}},
			{"fractional count", []any{2, 0.5, "+g", "ro:member"}},
			{"count past the end", []any{2, 3, "+g", "ro:member"}},
			{"unknown operation", []any{2, 1, "+x", "ro:member"}},
			{"block without index and level", []any{2, 1, "+b", "nocolon"}},
			{"user number missing", []any{"x", 1, "+g", "ro:member"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.sibling(t)
				args := append([]any{e.prefix, 1, 0, 10, 10}, valid...)
				err := e.rdb.Eval(ctx, users.GroupsLua(), nil, append(args, tc.ops...)...).Err()
				if err == nil || !strings.Contains(err.Error(), "groups.lua") {
					t.Fatalf("error %v, want groups.lua's refusal", err)
				}
				if keys, err := e.rdb.Keys(ctx, e.prefix+"*").Result(); err != nil || len(keys) > 0 {
					t.Fatalf("a refused call wrote %v (%v)", keys, err)
				}
			})
		}
	})
}
