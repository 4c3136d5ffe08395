package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/maildelivery"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/linktoken"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/infra/outbox"
	"github.com/clarynext/usermgmt/readmodels/mailqueue"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

const baseURL = "http://127.0.0.1:8080"

// envelope is one message the test SMTP server accepted.
type envelope struct {
	From string
	To   []string
	Data []byte
}

// smtpBackend is a go-smtp backend that records what it accepts and
// refuses recipients with a temporary error while tempFail is set.
type smtpBackend struct {
	mu       sync.Mutex
	sent     []envelope
	tempFail bool
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

func (b *smtpBackend) envelopes() []envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]envelope(nil), b.sent...)
}

func (b *smtpBackend) setTempFail(v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tempFail = v
}

type smtpSession struct {
	b   *smtpBackend
	env envelope
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.env = envelope{From: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	fail := s.b.tempFail
	s.b.mu.Unlock()
	if fail {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox " + to + " busy, try later"}
	}
	s.env.To = append(s.env.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.env.Data = data
	s.b.mu.Lock()
	s.b.sent = append(s.b.sent, s.env)
	s.b.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.env = envelope{} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs a real SMTP server for b on a loopback port until the
// test ends and returns a sender that delivers to it.
func startSMTP(t *testing.T, b *smtpBackend) *mail.SMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		l.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp server: %v", err)
		}
	})
	s, err := mail.NewSMTP("smtp://"+l.Addr().String()+"?tls=none", "Acme <noreply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// users is an in-memory user store: each user's history, folded on Load
// by the real aggregate.
type users struct {
	mu      sync.Mutex
	history map[uuid.UUID][]domain.Event
}

func (u *users) add(id uuid.UUID, events ...domain.Event) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.history == nil {
		u.history = map[uuid.UUID][]domain.Event{}
	}
	u.history[id] = append(u.history[id], events...)
}

func (u *users) Load(_ context.Context, id uuid.UUID) (*user.User, int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	h, ok := u.history[id]
	if !ok {
		return nil, -1, user.ErrNoUser
	}
	loaded, err := user.Load(h...)
	return loaded, int64(len(h) - 1), err
}

// flaky fails its first n sends, then delivers through next.
type flaky struct {
	mu    sync.Mutex
	n     int
	calls int
	err   error
	next  mail.Sender
}

func (f *flaky) Send(ctx context.Context, m mail.Message) error {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.n
	f.mu.Unlock()
	if fail {
		return f.err
	}
	return f.next.Send(ctx, m)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// fixture wires a dispatcher to real parts: Redis (queue), the embedded
// event store (delivery record), a real minter and templates, and a real
// SMTP server.
type fixture struct {
	t          *testing.T
	rdb        redis.UniversalClient
	queue      *mailqueue.Queue
	store      *embedded.Store
	deliveries *commands.MailDeliveries
	minter     *linktoken.Minter
	users      *users
	clock      *clock
	smtp       *smtpBackend
	logs       *syncBuffer
	cfg        outbox.Config
}

func newFixture(t *testing.T, b redistest.Backend) *fixture {
	t.Helper()
	rdb, prefix := b.Open(t)
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{
		t: t, rdb: rdb, queue: mailqueue.New(rdb, prefix), store: store,
		users: &users{}, clock: &clock{now: t0}, smtp: &smtpBackend{}, logs: &syncBuffer{},
	}
	f.deliveries, err = commands.NewMailDeliveries(store, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.minter, err = linktoken.New(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := mail.NewTemplates("Acme Portal")
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = outbox.Config{
		Queue: f.queue, Sender: startSMTP(t, f.smtp), Templates: tpl, Users: f.users, Links: f.minter,
		Deliveries: f.deliveries, BaseURL: baseURL + "/", Now: f.clock.Now,
		Logger:  slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff: func(int) time.Duration { return 0 }, Lease: time.Minute, Concurrency: 3, PollInterval: 5 * time.Millisecond,
	}
	return f
}

func (f *fixture) dispatcher() *outbox.Dispatcher {
	f.t.Helper()
	d, err := outbox.NewDispatcher(f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// newUser creates a user with a name and an address, in status st.
func (f *fixture) newUser(email string, st user.Status) uuid.UUID {
	id := uuid.New()
	f.users.add(id, user.Created{UserID: id, PII: user.PII{Email: email, FirstName: "Ann", LastName: "Lee"}, Status: st, At: t0})
	return id
}

// issue gives the user a live link of purpose p, valid for ttl, as the
// command layer does, and returns the event that asks for its mail.
func (f *fixture) issue(id uuid.UUID, p user.Purpose, ttl time.Duration) (domain.Event, user.Token) {
	tokID := uuid.New()
	tok := user.Token{ID: tokID, Hash: linktoken.Hash(f.minter.Mint(string(p), id, tokID)), ExpiresAt: f.clock.Now().Add(ttl)}
	var e domain.Event
	switch p {
	case user.PurposeInvitation:
		e = user.InvitationSent{UserID: id, Token: tok, At: f.clock.Now()}
	case user.PurposeReset:
		e = user.ResetRequested{UserID: id, Token: tok, At: f.clock.Now()}
	default:
		e = user.VerificationSent{UserID: id, Token: tok, At: f.clock.Now()}
	}
	f.users.add(id, e)
	return e, tok
}

// enqueue queues the mail of an event as the projector would, due now,
// and returns the item.
func (f *fixture) enqueue(kind string, userID, tokenID uuid.UUID, eventID string) mailqueue.Item {
	f.t.Helper()
	it := mailqueue.Item{EventID: eventID, Kind: kind, UserID: userID, TokenID: tokenID, CorrelationID: "req-" + eventID}
	ctx := context.Background()
	pipe := f.rdb.TxPipeline()
	if err := f.queue.Enqueue(ctx, pipe, it, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		f.t.Fatal(err)
	}
	return it
}

// outcome returns the recorded outcome of the mail of eventID, nil if none.
func (f *fixture) outcome(eventID string) domain.Event {
	f.t.Helper()
	recs, err := f.store.ReadStream(context.Background(), maildelivery.Stream(eventID), eventstore.ReadStreamOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if len(recs) != 1 {
		f.t.Fatalf("%d outcomes for %s, want 1", len(recs), eventID)
	}
	codec, err := domain.NewCodec(maildelivery.Registrations()...)
	if err != nil {
		f.t.Fatal(err)
	}
	e, err := codec.Unmarshal(recs[0].Type, recs[0].Data)
	if err != nil {
		f.t.Fatal(err)
	}
	md, err := commands.DecodeMetadata(recs[0].Metadata)
	if err != nil || md.CausationID != eventID || md.CorrelationID != "req-"+eventID || md.ActorKind != commands.ActorSystem {
		f.t.Fatalf("outcome metadata %+v (%v)", md, err)
	}
	return e
}

// once runs one dispatcher round and expects n claimed mails, no error.
func (f *fixture) once(d *outbox.Dispatcher, n int) {
	f.t.Helper()
	got, err := d.Once(context.Background())
	if err != nil || got != n {
		f.t.Fatalf("Once = %d, %v; want %d", got, err, n)
	}
}

func (f *fixture) queued() int {
	f.t.Helper()
	n, err := f.queue.Len(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// parse parses a mail's raw data.
func parse(t *testing.T, raw []byte) *netmail.Message {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	return m
}
