package userlist_test

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/projections/userlist"
	"github.com/clarynext/usermgmt/readmodels/redistest"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// TestOnboarding drives invitations and sign-ups through the command
// handlers and checks after each step the doc of the user the step is
// about and whom the invitation and status filters find. Every step
// applies the whole log again (earlier events must be skipped), then once
// more, which must change nothing.
func TestOnboarding(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newRig(t, b)
			ctx := context.Background()
			md := commands.System("t")
			week := 7 * 24 * time.Hour
			var ann, bea, cem, dan, eva uuid.UUID
			invite := func(id *uuid.UUID, email string) func() error {
				return func() error {
					res, err := r.cmds.Create(ctx, md, commands.CreateUser{Email: email, FirstName: strings.Split(email, "@")[0], SendInvite: true})
					*id = res.ID
					return err
				}
			}
			var sentAt time.Time // when ann's latest invitation was sent
			steps := []struct {
				name  string
				run   func() error
				who   *uuid.UUID
				check func(d users.Doc) bool
				// finds: each query must find exactly these users.
				finds []find
			}{
				{"invited", func() error { sentAt = r.now(); return invite(&ann, "ann@example.com")() }, &ann, func(d users.Doc) bool {
					return d.Status == "invited" && d.Invitation == users.InvitationPending &&
						d.InvitationSentAt.Equal(sentAt) && d.InvitationExpiresAt.Equal(sentAt.Add(week)) && d.Source == ""
				}, []find{
					{users.Query{Invitations: []string{users.InvitationPending}}, []*uuid.UUID{&ann}},
					{users.Query{Statuses: []string{"invited"}}, []*uuid.UUID{&ann}},
					{users.Query{Statuses: []string{"invited"}, Invitations: []string{users.InvitationPending}}, []*uuid.UUID{&ann}},
					{users.Query{Statuses: []string{"active"}}, nil},
				}},
				{"resent", func() error {
					sentAt = r.tick()
					_, err := r.cmds.ResendInvitation(ctx, md, ann, nil)
					return err
				}, &ann, func(d users.Doc) bool {
					return d.Status == "invited" && d.Invitation == users.InvitationPending &&
						d.InvitationSentAt.Equal(sentAt) && d.InvitationExpiresAt.Equal(sentAt.Add(week))
				}, []find{{users.Query{Invitations: []string{users.InvitationPending}}, []*uuid.UUID{&ann}}}},
				{"revoked", func() error {
					r.tick()
					_, err := r.cmds.RevokeInvitation(ctx, md, ann, nil)
					return err
				}, &ann, func(d users.Doc) bool {
					return d.Status == "invited" && d.Invitation == users.InvitationRevoked &&
						d.InvitationExpiresAt.IsZero() && d.InvitationSentAt.Equal(sentAt)
				}, []find{
					{users.Query{Invitations: []string{users.InvitationRevoked}}, []*uuid.UUID{&ann}},
					{users.Query{Invitations: []string{users.InvitationPending}}, nil},
					{users.Query{Statuses: []string{"invited"}}, []*uuid.UUID{&ann}},
				}},
				{"resent after revocation", func() error {
					sentAt = r.tick()
					_, err := r.cmds.ResendInvitation(ctx, md, ann, nil)
					return err
				}, &ann, func(d users.Doc) bool {
					return d.Invitation == users.InvitationPending && d.InvitationExpiresAt.Equal(sentAt.Add(week))
				}, []find{{users.Query{Invitations: []string{users.InvitationRevoked}}, nil}}},
				{"accepted", func() error {
					r.tick()
					_, err := r.cmds.AcceptInvitation(ctx, md, r.liveToken(ann, user.PurposeInvitation), "a long password")
					return err
				}, &ann, func(d users.Doc) bool {
					return d.Status == "active" && d.Invitation == users.InvitationAccepted &&
						d.InvitationExpiresAt.IsZero() && d.InvitationSentAt.Equal(sentAt)
				}, []find{
					{users.Query{Invitations: []string{users.InvitationAccepted}, Statuses: []string{"active"}}, []*uuid.UUID{&ann}},
					{users.Query{Statuses: []string{"invited"}}, nil},
				}},
				{"signed up", func() error {
					res, err := r.cmds.Create(ctx, md, commands.CreateUser{
						Email: "bea@example.com", FirstName: "Bea",
						SignUp: true, VerifyEmail: true, Attributes: map[string]string{"company": "Acme", "newsletter": "true"},
					})
					bea = res.ID
					return err
				}, &bea, func(d users.Doc) bool {
					return d.Status == "unverified" && d.Source == user.SourceRegistration && d.Invitation == "" &&
						maps.Equal(d.Attributes, map[string]string{"company": "Acme", "newsletter": "true"})
				}, []find{
					{users.Query{Statuses: []string{"unverified"}}, []*uuid.UUID{&bea}},
					{users.Query{Statuses: []string{"unverified", "invited"}}, []*uuid.UUID{&bea}},
					{users.Query{Invitations: []string{users.InvitationPending}}, nil},
				}},
				{"verified", func() error {
					r.tick()
					_, err := r.cmds.VerifyEmail(ctx, md, r.liveToken(bea, user.PurposeVerification), "a long password")
					return err
				}, &bea, func(d users.Doc) bool {
					return d.Status == "active" && d.Source == user.SourceRegistration && len(d.Attributes) == 2
				}, []find{
					{users.Query{Statuses: []string{"unverified"}}, nil},
					{users.Query{Statuses: []string{"active"}}, []*uuid.UUID{&ann, &bea}},
				}},
				{"sign-up anonymized", func() error {
					_, err := r.cmds.Delete(ctx, md, bea, nil, user.Anonymize)
					return err
				}, &bea, func(d users.Doc) bool {
					return d.Status == "deleted" && d.Email == "" && d.FirstName == "" && d.Attributes == nil &&
						d.Source == user.SourceRegistration
				}, []find{
					{users.Query{Text: "bea"}, nil},
					{users.Query{Statuses: []string{"deleted"}}, []*uuid.UUID{&bea}},
				}},
				{"email changed while invited", func() error {
					if err := invite(&cem, "cem@example.com")(); err != nil {
						return err
					}
					email := "cem@example.org"
					_, err := r.cmds.Edit(ctx, md, cem, nil, user.Patch{Email: &email})
					return err
				}, &cem, func(d users.Doc) bool {
					return d.Status == "invited" && d.Invitation == users.InvitationRevoked && d.InvitationExpiresAt.IsZero()
				}, []find{
					{users.Query{Invitations: []string{users.InvitationPending}}, nil},
					{users.Query{Invitations: []string{users.InvitationRevoked}}, []*uuid.UUID{&cem}},
				}},
				{"deleted while invited", func() error {
					if err := invite(&dan, "dan@example.com")(); err != nil {
						return err
					}
					_, err := r.cmds.Delete(ctx, md, dan, nil, user.Soft)
					return err
				}, &dan, func(d users.Doc) bool {
					return d.Status == "deleted" && d.Invitation == users.InvitationRevoked && d.Email == "dan@example.com"
				}, []find{
					{users.Query{Invitations: []string{users.InvitationRevoked}}, []*uuid.UUID{&cem, &dan}},
					{users.Query{Invitations: []string{users.InvitationPending}}, nil},
				}},
				{"suspended while invited", func() error {
					if err := invite(&eva, "eva@example.com")(); err != nil {
						return err
					}
					_, err := r.cmds.Suspend(ctx, md, eva, nil, "")
					return err
				}, &eva, func(d users.Doc) bool {
					// Suspension ends the link.
					return d.Status == "suspended" && d.Invitation == users.InvitationRevoked
				}, []find{
					{users.Query{Statuses: []string{"invited"}}, []*uuid.UUID{&cem}},
					{users.Query{Invitations: []string{users.InvitationPending}}, nil},
				}},
				{"reactivated to invited", func() error {
					_, err := r.cmds.Reactivate(ctx, md, eva, nil)
					return err
				}, &eva, func(d users.Doc) bool {
					return d.Status == "invited" && d.Invitation == users.InvitationRevoked
				}, []find{
					{users.Query{Statuses: []string{"invited"}, Invitations: []string{users.InvitationRevoked}}, []*uuid.UUID{&cem, &eva}},
					{users.Query{Statuses: []string{"invited"}}, []*uuid.UUID{&cem, &eva}},
				}},
				{"a new invitation after reactivation", func() error {
					_, err := r.cmds.ResendInvitation(ctx, md, eva, nil)
					return err
				}, &eva, func(d users.Doc) bool {
					return d.Status == "invited" && d.Invitation == users.InvitationPending
				}, []find{
					{users.Query{Statuses: []string{"invited"}, Invitations: []string{users.InvitationPending}}, []*uuid.UUID{&eva}},
				}},
			}
			for _, step := range steps {
				if err := step.run(); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				r.applyAll()
				d := r.get(*step.who)
				if !step.check(d) {
					t.Fatalf("%s: doc %+v", step.name, d)
				}
				for _, f := range step.finds {
					var want []uuid.UUID
					for _, id := range f.who {
						want = append(want, *id)
					}
					if got := r.find(f.q); !sameIDs(got, want) {
						t.Errorf("%s: %+v finds %v, want %v", step.name, f.q, got, want)
					}
				}
				r.applyAll()
				if again := r.get(*step.who); !reflect.DeepEqual(again, d) {
					t.Fatalf("%s: replay changed the doc: %+v -> %+v", step.name, d, again)
				}
			}
		})
	}
}

// find is a query and the users it must find, by the variables their IDs
// are assigned to when they are created.
type find struct {
	q   users.Query
	who []*uuid.UUID
}

// rig is the user command handlers over an embedded event store, with a
// clock that moves only when told to and a link minter the test can mint
// with, and the users projector over one Redis backend.
type rig struct {
	t     *testing.T
	ctx   context.Context
	store *embedded.Store
	cmds  *commands.Users
	links *linktoken.Minter
	codec *domain.Codec
	rdb   redis.UniversalClient
	reads *users.Store
	proj  projections.Projector
	clock time.Time
}

func newRig(t *testing.T, b redistest.Backend) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), clock: time.Now().UTC().Truncate(time.Second)}
	var err error
	if r.store, err = embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	if r.links, err = linktoken.New([]byte(strings.Repeat("k", 32))); err != nil {
		t.Fatal(err)
	}
	params := password.OWASP
	params.Memory = 1024
	r.cmds, err = commands.NewUsers(commands.UsersConfig{
		Store: r.store, Hasher: password.NewHasher(params, 1), Links: r.links, Now: r.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.codec, err = domain.NewCodec(user.Registrations()...); err != nil {
		t.Fatal(err)
	}
	var prefix string
	r.rdb, prefix = b.Open(t)
	r.reads = users.New(r.rdb, prefix)
	if r.proj, err = userlist.New(r.reads, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) now() time.Time { return r.clock }

// tick moves the clock a minute on and returns the new time.
func (r *rig) tick() time.Time {
	r.clock = r.clock.Add(time.Minute)
	return r.clock
}

// applyAll applies every event of the projector's streams, from the start,
// in one batch and one MULTI/EXEC.
func (r *rig) applyAll() {
	r.t.Helper()
	evs, err := r.store.ReadAll(r.ctx, eventstore.ReadAllOptions{Max: 10_000})
	if err != nil {
		r.t.Fatal(err)
	}
	mine := slices.DeleteFunc(evs, func(ev eventstore.RecordedEvent) bool {
		return !slices.ContainsFunc(r.proj.Prefixes, func(p string) bool { return strings.HasPrefix(ev.Stream, p) })
	})
	pipe := r.rdb.TxPipeline()
	if err := r.proj.Handler.Apply(r.ctx, pipe, mine); err != nil {
		r.t.Fatal(err)
	}
	if _, err := pipe.Exec(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) get(id uuid.UUID) users.Doc {
	r.t.Helper()
	d, err := r.reads.Get(r.ctx, id)
	if err != nil {
		r.t.Fatalf("get %s: %v", id, err)
	}
	return d
}

// find returns the IDs of every user q finds.
func (r *rig) find(q users.Query) []uuid.UUID {
	r.t.Helper()
	q.Limit = users.MaxLimit
	p, err := r.reads.Search(r.ctx, q)
	if err != nil {
		r.t.Fatalf("search %+v: %v", q, err)
	}
	return ids(p.Users)
}

// liveToken mints the token of the latest link of purpose p the user's
// history holds, as the mail outbox would.
func (r *rig) liveToken(id uuid.UUID, p user.Purpose) string {
	r.t.Helper()
	evs, err := r.store.ReadStream(r.ctx, user.Stream(id), eventstore.ReadStreamOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	var tok user.Token
	for _, rec := range evs {
		e, err := r.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			r.t.Fatal(err)
		}
		switch e := e.(type) {
		case user.InvitationSent:
			if p == user.PurposeInvitation {
				tok = e.Token
			}
		case user.VerificationSent:
			if p == user.PurposeVerification {
				tok = e.Token
			}
		}
	}
	if tok.ID == uuid.Nil {
		r.t.Fatalf("user %s has no %s link", id, p)
	}
	return r.links.Mint(string(p), id, tok.ID)
}

func ids(docs []users.Doc) []uuid.UUID {
	out := make([]uuid.UUID, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

// sameIDs reports whether a and b hold the same IDs, in any order.
func sameIDs(a, b []uuid.UUID) bool {
	key := func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) }
	a, b = slices.SortedFunc(slices.Values(a), key), slices.SortedFunc(slices.Values(b), key)
	return slices.Equal(a, b)
}
