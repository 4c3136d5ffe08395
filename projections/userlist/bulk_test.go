package userlist_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/projections/userlist"
	"github.com/clarynext/usermgmt/readmodels/redistest"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// TestBulkMatchesApply projects one random log twice: batch by batch
// through Apply (batches of random size), and through the bulk loader. Every
// user's details and every query's pages must come out the same.
func TestBulkMatchesApply(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			r := rand.New(rand.NewPCG(3, 4))
			g := newLogGen(t, r)
			g.run(150, 2500)

			incr, bulk := users.New(rdb, prefix+"incr:"), users.New(rdb, prefix+"bulk:")
			pi, err := userlist.New(incr, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(g.log); {
				end := min(len(g.log), i+1+r.IntN(60))
				pipe := rdb.TxPipeline()
				if err := pi.Handler.Apply(ctx, pipe, g.log[i:end]); err != nil {
					t.Fatalf("apply: %v", err)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
				i = end
			}

			pb, err := userlist.New(bulk, nil)
			if err != nil {
				t.Fatal(err)
			}
			bh, ok := pb.Handler.(projections.BulkHandler)
			if !ok {
				t.Fatal("the users projector has no bulk path")
			}
			loader, ok := bh.Bulk()
			if !ok {
				t.Fatal("the users projector refuses to load users.Store in bulk")
			}
			for page := range slices.Chunk(g.log, 100) {
				if err := loader.Add(ctx, page); err != nil {
					t.Fatalf("bulk add: %v", err)
				}
			}
			if err := loader.Flush(ctx); err != nil {
				t.Fatalf("bulk flush: %v", err)
			}

			for _, id := range g.ids {
				a, errA := incr.Get(ctx, id)
				b, errB := bulk.Get(ctx, id)
				if !errors.Is(errA, users.ErrNotFound) || !errors.Is(errB, users.ErrNotFound) {
					if errA != nil || errB != nil {
						t.Fatalf("get %s: by batches %v, in bulk %v", id, errA, errB)
					}
				}
				a.Num, b.Num = 0, 0
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("user %s:\n by batches %+v\n in bulk    %+v", id, a, b)
				}
			}
			queries := 0
			for _, q := range g.queries() {
				for _, sort := range []users.SortField{users.SortName, users.SortEmail, users.SortCreated, users.SortLastLogin, users.SortStatus} {
					for _, desc := range []bool{false, true} {
						q.Sort, q.Desc, q.Limit = sort, desc, 9
						ta, a := searchAll(t, incr, q)
						tb, b := searchAll(t, bulk, q)
						if ta != tb || !slices.Equal(a, b) {
							t.Fatalf("%+v: by batches %d users (total %d), in bulk %d (total %d), or in another order", q, len(a), ta, len(b), tb)
						}
						if len(a) > 0 {
							queries++
						}
					}
				}
			}
			if queries < 100 {
				t.Fatalf("only %d queries found users: the log is too thin to compare", queries)
			}
		})
	}
}

func TestBulkFlushRefusesUserWithoutCreation(t *testing.T) {
	rdb, prefix := redistest.Mini(t)
	ctx := context.Background()
	g := newLogGen(t, rand.New(rand.NewPCG(5, 6)))
	id := uuid.New()
	g.emit(user.Stream(id), user.NameChanged{UserID: id, PII: user.PII{FirstName: "No", LastName: "Creation"}, At: g.now()})
	g.emit(auth.Stream(uuid.New()), auth.LoginFailed{UserID: uuid.New(), At: g.now(), Reason: auth.ReasonWrongPassword})

	p, err := userlist.New(users.New(rdb, prefix), nil)
	if err != nil {
		t.Fatal(err)
	}
	loader, ok := p.Handler.(projections.BulkHandler).Bulk()
	if !ok {
		t.Fatal("no bulk loader")
	}
	if err := loader.Add(ctx, g.log); err != nil {
		t.Fatal(err)
	}
	if err := loader.Flush(ctx); err == nil {
		t.Fatal("flush accepted a user whose stream lacks its creation")
	}
	pipe := rdb.TxPipeline()
	if err := p.Handler.Apply(ctx, pipe, g.log); err == nil {
		t.Fatal("apply accepted it: the two paths disagree")
	}
	pipe.Discard()
}

// searchAll walks q's pages and returns the total and the users' IDs.
func searchAll(t *testing.T, s *users.Store, q users.Query) (int64, []uuid.UUID) {
	t.Helper()
	var out []uuid.UUID
	for {
		p, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		for _, d := range p.Users {
			out = append(out, d.ID)
		}
		if p.NextCursor == "" {
			return p.Total, out
		}
		q.Cursor = p.NextCursor
	}
}

// logGen writes a random but plausible global log of user, auth and
// organization events.
type logGen struct {
	t     *testing.T
	r     *rand.Rand
	codec *domain.Codec
	log   []eventstore.RecordedEvent
	revs  map[string]uint64
	clock time.Time
	// ids are every user ID that has events; live the created, not yet
	// deleted ones; teams the teams not deleted.
	ids   []uuid.UUID
	live  []uuid.UUID
	teams []uuid.UUID
}

func newLogGen(t *testing.T, r *rand.Rand) *logGen {
	t.Helper()
	regs := append(user.Registrations(), auth.Registrations()...)
	codec, err := domain.NewCodec(append(regs, org.Registrations()...)...)
	if err != nil {
		t.Fatal(err)
	}
	g := &logGen{t: t, r: r, codec: codec, revs: map[string]uint64{}, clock: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	for range 3 {
		g.teams = append(g.teams, uuid.New())
	}
	return g
}

func (g *logGen) now() time.Time {
	g.clock = g.clock.Add(time.Duration(1+g.r.IntN(90)) * time.Minute)
	return g.clock
}

func (g *logGen) emit(stream string, e domain.Event) {
	typ, data, err := g.codec.Marshal(e)
	if err != nil {
		g.t.Fatal(err)
	}
	n := uint64(len(g.log) + 1)
	g.log = append(g.log, eventstore.RecordedEvent{
		ID: uuid.New(), Stream: stream, Revision: g.revs[stream], Type: typ, Data: data,
		Position: eventstore.Position{Commit: n, Prepare: n}, Created: g.clock,
	})
	g.revs[stream]++
}

var (
	genFirst = []string{"Ana", "Anabel", "José", "Jürgen", "Mary-Jane", "Søren", "Zoë", "Bob", "Carla", "Иван"}
	genLast  = []string{"Smith", "Smithson", "Núñez", "Groß", "O'Brien", "Stone", "Lee", "Petrov"}
	genRoles = []string{"member", "author", "expert", "vendor"}
	genOrgs  = []string{"acme", "beta", "gamma"}
)

func (g *logGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *logGen) pii() user.PII {
	first, last := g.pick(genFirst), g.pick(genLast)
	return user.PII{FirstName: first, LastName: last, Email: fmt.Sprintf("%s.%d@%s.example", g.pick([]string{"ana", "jo", "mj", "zoe", "bob"}), g.r.IntN(1000), g.pick(genOrgs))}
}

// run creates users users, then appends events events at random.
func (g *logGen) run(usersN, events int) {
	for range usersN {
		g.create()
	}
	for range events {
		switch k := g.r.IntN(100); {
		case k < 5:
			g.create()
		case k < 7:
			// Login attempts for an ID the list never holds.
			id := uuid.New()
			g.ids = append(g.ids, id)
			g.emit(auth.Stream(id), auth.LoginFailed{UserID: id, At: g.now(), Reason: auth.ReasonWrongPassword})
		case k < 8:
			i := g.r.IntN(len(g.teams))
			g.emit(org.Stream(g.pick(genOrgs)), org.TeamDeleted{OrgID: "acme", TeamID: g.teams[i], At: g.now()})
			g.teams[i] = uuid.New()
		default:
			if len(g.live) > 0 {
				g.change(g.live[g.r.IntN(len(g.live))])
			}
		}
	}
}

// create creates a user: by an admin with a password (with no status, as
// events before onboarding had), invited, or by a sign-up with attributes
// waiting for its email to be verified.
func (g *logGen) create() {
	id := uuid.New()
	g.ids, g.live = append(g.ids, id), append(g.live, id)
	s, now := user.Stream(id), g.now()
	e := user.Created{UserID: id, PII: g.pii(), Roles: []string{g.pick(genRoles)}, At: now}
	if g.r.IntN(3) > 0 {
		e.OrgID, e.OrgRole = g.pick(genOrgs), "member"
	}
	switch g.r.IntN(4) {
	case 0:
		e.Status = user.StatusInvited
		g.emit(s, e)
		g.emit(s, user.InvitationSent{UserID: id, Token: g.token(now), At: now})
	case 1:
		e.Status, e.Source = user.StatusUnverified, user.SourceRegistration
		e.PII.Attributes = map[string]string{"company": g.pick(genOrgs), "seats": fmt.Sprint(g.r.IntN(50))}
		g.emit(s, e)
		g.emit(s, user.VerificationSent{UserID: id, Token: g.token(now), At: now})
	default:
		g.emit(s, e)
	}
}

// token is a link token issued at now.
func (g *logGen) token(now time.Time) user.Token {
	return user.Token{ID: uuid.New(), Hash: strings.Repeat("ab", 32), ExpiresAt: now.Add(time.Duration(1+g.r.IntN(7*24)) * time.Hour)}
}

func (g *logGen) change(id uuid.UUID) {
	s, a := user.Stream(id), auth.Stream(id)
	now := g.now()
	team := g.teams[g.r.IntN(len(g.teams))]
	switch g.r.IntN(23) {
	case 0:
		p := g.pii()
		g.emit(s, user.NameChanged{UserID: id, PII: user.PII{FirstName: p.FirstName, LastName: p.LastName}, At: now})
	case 1:
		g.emit(s, user.EmailChanged{UserID: id, PII: user.PII{Email: g.pii().Email}, At: now})
	case 2:
		g.emit(s, user.RolesAssigned{UserID: id, Roles: []string{g.pick(genRoles)}, At: now})
	case 3:
		g.emit(s, user.RolesUnassigned{UserID: id, Roles: []string{g.pick(genRoles)}, At: now})
	case 4:
		g.emit(s, user.OrganizationChanged{UserID: id, OrgID: g.pick(append(genOrgs, "")), At: now})
	case 5:
		g.emit(s, user.OrgRoleChanged{UserID: id, Role: g.pick([]string{"", "member", "admin"}), At: now})
	case 6, 7:
		g.emit(s, user.TeamJoined{UserID: id, TeamID: team, Role: g.pick([]string{"", "lead"}), At: now})
	case 8:
		g.emit(s, user.TeamRoleChanged{UserID: id, TeamID: team, Role: "lead", At: now})
	case 9:
		g.emit(s, user.TeamLeft{UserID: id, TeamID: team, Reason: user.LeftRemoved, At: now})
	case 10:
		g.emit(s, user.Suspended{UserID: id, At: now})
	case 11:
		g.emit(s, user.Reactivated{UserID: id, Status: []user.Status{"", user.StatusInvited, user.StatusUnverified}[g.r.IntN(3)], At: now})
	case 12:
		g.emit(s, user.Deleted{UserID: id, DataHandling: []user.DataHandling{user.Soft, user.Anonymize}[g.r.IntN(2)], At: now})
		g.live = slices.DeleteFunc(g.live, func(x uuid.UUID) bool { return x == id })
	case 13:
		g.emit(s, user.NoteAdded{UserID: id, NoteID: uuid.New(), AuthorID: uuid.New(), PII: user.NotePII{Text: "a note"}, At: now})
	case 14:
		g.emit(a, auth.LoginSucceeded{UserID: id, At: now})
	case 15:
		g.emit(a, auth.Locked{UserID: id, At: now, Until: now.Add(time.Hour), Permanent: g.r.IntN(3) == 0, Failures: 5})
	case 16:
		g.emit(a, auth.LockoutCleared{UserID: id, At: now})
	case 17:
		g.emit(s, user.InvitationSent{UserID: id, Token: g.token(now), At: now})
	case 18:
		g.emit(s, user.InvitationRevoked{UserID: id, TokenID: uuid.New(), At: now})
	case 19:
		g.emit(s, user.InvitationAccepted{UserID: id, TokenID: uuid.New(), At: now})
	case 20:
		g.emit(s, user.EmailVerified{UserID: id, TokenID: uuid.New(), At: now})
	case 21:
		g.emit(s, user.ResetRequested{UserID: id, Token: g.token(now), At: now})
	case 22:
		g.emit(s, user.InviteRequested{UserID: id, At: now})
	}
}

// queries are searches over the generated vocabulary and filters.
func (g *logGen) queries() []users.Query {
	qs := []users.Query{
		{}, {Statuses: []string{"suspended"}}, {Statuses: []string{"deleted"}}, {Locks: []string{users.LockLocked}},
		{Statuses: []string{"invited"}}, {Statuses: []string{"unverified"}}, {Statuses: []string{"active", "invited"}},
		{Invitations: []string{users.InvitationPending}}, {Invitations: []string{users.InvitationRevoked, users.InvitationAccepted}},
		{Invitations: []string{users.InvitationPending}, Statuses: []string{"invited"}},
	}
	for _, team := range g.teams {
		qs = append(qs, users.Query{Teams: []string{team.String()}})
	}
	for _, text := range []string{"a", "an", "ana", "anab", "jo", "jur", "gross", "smith", "acme", "ив", "o'b"} {
		qs = append(qs, users.Query{Text: text}, users.Query{Text: text, Orgs: []string{"acme"}, Roles: []string{"member", "author"}})
	}
	return qs
}
