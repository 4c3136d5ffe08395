package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clarynext/usermgmt/domain/maildelivery"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/infra/outbox"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

// textPart returns the decoded text/plain part of a multipart mail.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	m := parse(t, raw)
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			body, err := io.ReadAll(part)
			if err != nil {
				t.Fatal(err)
			}
			return string(body)
		}
	}
}

// linkToken finds the link that starts with prefix in text and returns
// the token it carries.
func linkToken(t *testing.T, text, prefix string) string {
	t.Helper()
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("no link %s... in\n%s", prefix, text)
	}
	return strings.Fields(text[i+len(prefix):])[0]
}

// TestSendsOnce: each kind of mail goes out once, to the user's address,
// with a link whose token opens for the user and the link's ID; the
// outcome is recorded and the item acked; queueing the event again (a
// rebuild) sends nothing more.
func TestSendsOnce(t *testing.T) {
	tests := []struct {
		kind    string
		purpose user.Purpose
		status  user.Status
		subject string
		path    string
	}{
		{mail.KindInvitation, user.PurposeInvitation, user.StatusInvited, "You are invited to Acme Portal", "/accept-invitation?token="},
		{mail.KindPasswordReset, user.PurposeReset, user.StatusActive, "Reset your Acme Portal password", "/reset-password?token="},
		{mail.KindVerification, user.PurposeVerification, user.StatusUnverified, "Verify your email address for Acme Portal", "/verify-email?token="},
	}
	for _, b := range redistest.Backends() {
		for _, tt := range tests {
			t.Run(b.Name+"/"+tt.kind, func(t *testing.T) {
				f := newFixture(t, b)
				reg := prometheus.NewRegistry()
				f.cfg.Metrics = outbox.NewMetrics(reg)
				d := f.dispatcher()
				id := f.newUser("ann@example.org", tt.status)
				_, tok := f.issue(id, tt.purpose, 24*time.Hour)
				eventID := uuid.NewString()
				f.enqueue(tt.kind, id, tok.ID, eventID)

				f.once(d, 1)
				sent := f.smtp.envelopes()
				if len(sent) != 1 {
					t.Fatalf("%d mails sent, want 1", len(sent))
				}
				if !slices.Equal(sent[0].To, []string{"ann@example.org"}) {
					t.Fatalf("RCPT TO %q", sent[0].To)
				}
				m := parse(t, sent[0].Data)
				if got := m.Header.Get("Subject"); got != tt.subject {
					t.Fatalf("Subject %q, want %q", got, tt.subject)
				}
				if got := m.Header.Get(mail.HeaderMessageID); got != eventID {
					t.Fatalf("%s %q, want the event ID", mail.HeaderMessageID, got)
				}
				if got := m.Header.Get("Auto-Submitted"); got != "auto-generated" {
					t.Fatalf("Auto-Submitted %q", got)
				}
				text := textPart(t, sent[0].Data)
				if !strings.Contains(text, "Hello Ann Lee,") {
					t.Fatalf("text does not greet the user:\n%s", text)
				}
				token := linkToken(t, text, baseURL+tt.path)
				userID, tokenID, err := f.minter.Open(string(tt.purpose), token)
				if err != nil || userID != id || tokenID != tok.ID {
					t.Fatalf("the link's token opens as %v, %v, %v", userID, tokenID, err)
				}
				want := maildelivery.NewSent(eventID, tt.kind, t0)
				if got := f.outcome(eventID); got != want {
					t.Fatalf("outcome %+v, want %+v", got, want)
				}
				if n := f.queued(); n != 0 {
					t.Fatalf("%d items left in the queue", n)
				}

				// The log names the event, the kind and the user, never
				// the address or the token.
				logs := f.logs.String()
				if !strings.Contains(logs, `"msg":"mail sent"`) || !strings.Contains(logs, eventID) || !strings.Contains(logs, id.String()) {
					t.Fatalf("no sent line naming the event and the user:\n%s", logs)
				}
				if strings.Contains(logs, "ann@example.org") || strings.Contains(logs, token) {
					t.Fatalf("the log shows the address or the token:\n%s", logs)
				}

				// A rebuild queues the event again: it is acked, not sent.
				f.enqueue(tt.kind, id, tok.ID, eventID)
				f.once(d, 1)
				if n := len(f.smtp.envelopes()); n != 1 {
					t.Fatalf("%d mails after a rebuild, want 1", n)
				}
				if n := f.queued(); n != 0 {
					t.Fatalf("%d items left after a rebuild", n)
				}
				if got := counter(t, reg, tt.kind, outbox.OutcomeSent); got != 1 {
					t.Fatalf("sent counter %v", got)
				}
				if got := counter(t, reg, tt.kind, outbox.OutcomeDuplicate); got != 1 {
					t.Fatalf("duplicate counter %v", got)
				}
			})
		}
	}
}

// counter reads usermgmt_mail_outbox_total{kind, outcome} from reg.
func counter(t *testing.T, reg *prometheus.Registry, kind, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != "usermgmt_mail_outbox_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// A failing send is retried after the backoff, and the mail goes out once
// the sender recovers.
func TestRetriesWithBackoff(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, b)
			var mu sync.Mutex
			var asked []int
			f.cfg.Backoff = func(attempt int) time.Duration {
				mu.Lock()
				defer mu.Unlock()
				asked = append(asked, attempt)
				return time.Duration(attempt) * time.Second
			}
			f.cfg.Sender = &flaky{n: 2, err: errors.New("dial tcp 127.0.0.1:25: connection refused"), next: f.cfg.Sender}
			d := f.dispatcher()
			id := f.newUser("ann@example.org", user.StatusActive)
			_, tok := f.issue(id, user.PurposeReset, time.Hour)
			eventID := uuid.NewString()
			f.enqueue(mail.KindPasswordReset, id, tok.ID, eventID)

			for attempt := 1; attempt <= 2; attempt++ {
				f.once(d, 1)
				it, due, ok, err := f.queue.Get(ctx, eventID)
				if err != nil || !ok || it.Attempts != attempt || !due.Equal(f.clock.Now().Add(time.Duration(attempt)*time.Second)) {
					t.Fatalf("after failure %d: %+v due %v (%v, %v)", attempt, it, due, ok, err)
				}
				f.once(d, 0) // not due yet
				f.clock.Advance(time.Duration(attempt) * time.Second)
			}
			f.once(d, 1)
			if n := len(f.smtp.envelopes()); n != 1 {
				t.Fatalf("%d mails, want 1", n)
			}
			if got, ok := f.outcome(eventID).(maildelivery.Sent); !ok || got.Kind != mail.KindPasswordReset {
				t.Fatalf("outcome %+v", f.outcome(eventID))
			}
			if !slices.Equal(asked, []int{1, 2}) {
				t.Fatalf("Backoff asked for attempts %v, want [1 2]", asked)
			}
			if !strings.Contains(f.logs.String(), "will retry") {
				t.Fatalf("no retry line:\n%s", f.logs)
			}
		})
	}
}

// A mail the server keeps refusing is given up after MaxAttempts, and the
// recorded error does not name the recipient.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b)
			f.cfg.MaxAttempts = 3
			f.smtp.setTempFail(true)
			d := f.dispatcher()
			id := f.newUser("Ann@Example.org", user.StatusInvited)
			_, tok := f.issue(id, user.PurposeInvitation, time.Hour)
			eventID := uuid.NewString()
			f.enqueue(mail.KindInvitation, id, tok.ID, eventID)
			for range 3 {
				f.once(d, 1)
			}
			got, ok := f.outcome(eventID).(maildelivery.Failed)
			if !ok || got.Attempts != 3 || !strings.Contains(got.Error, "451") {
				t.Fatalf("outcome %+v", f.outcome(eventID))
			}
			t.Logf("recorded error: %s", got.Error)
			if strings.Contains(strings.ToLower(got.Error), "ann@example.org") || !strings.Contains(got.Error, "<recipient>") {
				t.Fatalf("recorded error names the recipient: %q", got.Error)
			}
			if strings.Contains(strings.ToLower(f.logs.String()), "ann@example.org") {
				t.Fatalf("the log names the recipient:\n%s", f.logs)
			}
			if n := f.queued(); n != 0 {
				t.Fatalf("%d items left", n)
			}
			f.smtp.setTempFail(false)
			f.once(d, 0)
			if n := len(f.smtp.envelopes()); n != 0 {
				t.Fatalf("%d mails sent", n)
			}
		})
	}
}

// A message that can never be delivered fails at once.
func TestInvalidMessageFailsAtOnce(t *testing.T) {
	f := newFixture(t, redistest.Backend{Name: "miniredis", Open: redistest.Mini})
	f.cfg.Sender = &flaky{n: 1, err: fmt.Errorf("mail: message: %w: recipient", mail.ErrInvalidMessage), next: f.cfg.Sender}
	d := f.dispatcher()
	id := f.newUser("ann@example.org", user.StatusUnverified)
	_, tok := f.issue(id, user.PurposeVerification, time.Hour)
	eventID := uuid.NewString()
	f.enqueue(mail.KindVerification, id, tok.ID, eventID)
	f.once(d, 1)
	if got, ok := f.outcome(eventID).(maildelivery.Failed); !ok || got.Attempts != 1 {
		t.Fatalf("outcome %+v", f.outcome(eventID))
	}
	if n := f.queued(); n != 0 {
		t.Fatalf("%d items left", n)
	}
}

// A link that is dead by the time its mail would go out is skipped.
func TestDeadLinksAreSkipped(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fixture) (kind string, userID, tokenID uuid.UUID)
		reason string
	}{
		{"expired", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusActive)
			_, tok := f.issue(id, user.PurposeReset, time.Hour)
			f.clock.Advance(time.Hour)
			return mail.KindPasswordReset, id, tok.ID
		}, maildelivery.ReasonLinkExpired},
		{"superseded", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusInvited)
			_, first := f.issue(id, user.PurposeInvitation, time.Hour)
			f.issue(id, user.PurposeInvitation, time.Hour)
			return mail.KindInvitation, id, first.ID
		}, maildelivery.ReasonLinkNotPending},
		{"revoked", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusInvited)
			_, tok := f.issue(id, user.PurposeInvitation, time.Hour)
			f.users.add(id, user.InvitationRevoked{UserID: id, TokenID: tok.ID, At: t0})
			return mail.KindInvitation, id, tok.ID
		}, maildelivery.ReasonLinkNotPending},
		{"used", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusUnverified)
			_, tok := f.issue(id, user.PurposeVerification, time.Hour)
			f.users.add(id, user.EmailVerified{UserID: id, TokenID: tok.ID, At: t0})
			return mail.KindVerification, id, tok.ID
		}, maildelivery.ReasonLinkNotPending},
		{"address changed", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusActive)
			_, tok := f.issue(id, user.PurposeReset, time.Hour)
			f.users.add(id, user.EmailChanged{UserID: id, PII: user.PII{Email: "ann@example.net"}, At: t0})
			return mail.KindPasswordReset, id, tok.ID
		}, maildelivery.ReasonLinkNotPending},
		{"user erased", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusInvited)
			_, tok := f.issue(id, user.PurposeInvitation, time.Hour)
			f.users.add(id, user.Deleted{UserID: id, DataHandling: user.Anonymize, At: t0})
			return mail.KindInvitation, id, tok.ID
		}, maildelivery.ReasonLinkNotPending},
		{"unknown user", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			return mail.KindInvitation, uuid.New(), uuid.New()
		}, maildelivery.ReasonLinkNotPending},
		{"no address", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("", user.StatusInvited)
			_, tok := f.issue(id, user.PurposeInvitation, time.Hour)
			return mail.KindInvitation, id, tok.ID
		}, maildelivery.ReasonNoAddress},
		{"link of another purpose", func(f *fixture) (string, uuid.UUID, uuid.UUID) {
			id := f.newUser("ann@example.org", user.StatusActive)
			_, tok := f.issue(id, user.PurposeReset, time.Hour)
			return mail.KindVerification, id, tok.ID
		}, maildelivery.ReasonLinkNotPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, redistest.Backend{Name: "miniredis", Open: redistest.Mini})
			d := f.dispatcher()
			kind, userID, tokenID := tt.setup(f)
			eventID := uuid.NewString()
			f.enqueue(kind, userID, tokenID, eventID)
			f.once(d, 1)
			want := maildelivery.NewSkipped(eventID, tt.reason, f.clock.Now())
			if got := f.outcome(eventID); got != want {
				t.Fatalf("outcome %+v, want %+v", got, want)
			}
			if n := len(f.smtp.envelopes()); n != 0 {
				t.Fatalf("%d mails sent", n)
			}
			if n := f.queued(); n != 0 {
				t.Fatalf("%d items left", n)
			}
		})
	}
}

// The mail of a dispatcher that died after claiming it comes back after
// the lease and is sent by another.
func TestClaimComesBackAfterLease(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b)
			d := f.dispatcher()
			id := f.newUser("ann@example.org", user.StatusInvited)
			_, tok := f.issue(id, user.PurposeInvitation, 24*time.Hour)
			eventID := uuid.NewString()
			f.enqueue(mail.KindInvitation, id, tok.ID, eventID)

			// A dispatcher claims it and dies.
			if claimed, err := f.queue.Claim(context.Background(), f.clock.Now(), f.cfg.Lease, 10); err != nil || len(claimed) != 1 {
				t.Fatalf("claim %v, %v", claimed, err)
			}
			f.once(d, 0)
			f.clock.Advance(f.cfg.Lease - time.Millisecond)
			f.once(d, 0)
			f.clock.Advance(time.Millisecond)
			f.once(d, 1)
			if n := len(f.smtp.envelopes()); n != 1 {
				t.Fatalf("%d mails, want 1", n)
			}
			if _, ok := f.outcome(eventID).(maildelivery.Sent); !ok {
				t.Fatalf("outcome %+v", f.outcome(eventID))
			}
		})
	}
}

// Two running dispatchers share a queue: every mail goes out once, and
// Run returns when its context ends.
func TestRunSharesTheQueue(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b)
			var events []string
			for i := range 10 {
				id := f.newUser(fmt.Sprintf("user%d@example.org", i), user.StatusInvited)
				_, tok := f.issue(id, user.PurposeInvitation, time.Hour)
				e := uuid.NewString()
				events = append(events, e)
				f.enqueue(mail.KindInvitation, id, tok.ID, e)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for range 2 {
				d := f.dispatcher()
				wg.Go(func() {
					if err := d.Run(ctx); err != nil {
						t.Errorf("Run: %v", err)
					}
				})
			}
			deadline := time.Now().Add(10 * time.Second)
			for f.queued() > 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			sent := f.smtp.envelopes()
			if len(sent) != len(events) {
				t.Fatalf("%d mails for %d events", len(sent), len(events))
			}
			seen := map[string]bool{}
			for _, env := range sent {
				seen[parse(t, env.Data).Header.Get(mail.HeaderMessageID)] = true
			}
			for _, e := range events {
				if !seen[e] {
					t.Fatalf("no mail for event %s", e)
				}
				if _, ok := f.outcome(e).(maildelivery.Sent); !ok {
					t.Fatalf("outcome of %s: %+v", e, f.outcome(e))
				}
			}
		})
	}
}

// Failures of the event store leave the mail claimed: it comes back after
// the lease, with no attempt spent.
func TestInfrastructureErrorsWaitForTheLease(t *testing.T) {
	f := newFixture(t, redistest.Backend{Name: "miniredis", Open: redistest.Mini})
	f.cfg.Deliveries = brokenDeliveries{}
	d := f.dispatcher()
	id := f.newUser("ann@example.org", user.StatusInvited)
	_, tok := f.issue(id, user.PurposeInvitation, time.Hour)
	eventID := uuid.NewString()
	f.enqueue(mail.KindInvitation, id, tok.ID, eventID)
	if n, err := d.Once(context.Background()); n != 1 || err == nil || !strings.Contains(err.Error(), eventID) {
		t.Fatalf("Once = %d, %v; want the store's error", n, err)
	}
	it, due, ok, err := f.queue.Get(context.Background(), eventID)
	if err != nil || !ok || it.Attempts != 0 || !due.Equal(t0.Add(f.cfg.Lease)) {
		t.Fatalf("item %+v due %v (%v, %v); want it leased with no attempt spent", it, due, ok, err)
	}
}

type brokenDeliveries struct{ outbox.Deliveries }

func (brokenDeliveries) Done(context.Context, string) (bool, error) {
	return false, errors.New("event store unavailable")
}

func TestNewDispatcherValidates(t *testing.T) {
	f := newFixture(t, redistest.Backend{Name: "miniredis", Open: redistest.Mini})
	_, err := outbox.NewDispatcher(outbox.Config{})
	for _, want := range []string{"no queue", "no sender", "no templates", "no users", "no link minter", "no delivery record", "base URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("empty config: %v; want it to say %q", err, want)
		}
	}
	for _, bad := range []func(c *outbox.Config){
		func(c *outbox.Config) { c.BaseURL = "127.0.0.1:8080" },
		func(c *outbox.Config) { c.BaseURL = "ftp://example.com" },
		func(c *outbox.Config) { c.BaseURL = "https://example.com/?x=1" },
		func(c *outbox.Config) { c.Paths = map[string]string{mail.KindInvitation: "invite?token="} },
	} {
		cfg := f.cfg
		bad(&cfg)
		if _, err := outbox.NewDispatcher(cfg); err == nil {
			t.Fatalf("config %+v accepted", cfg)
		}
	}
}

// Custom paths replace the defaults of their kind only.
func TestCustomPaths(t *testing.T) {
	f := newFixture(t, redistest.Backend{Name: "miniredis", Open: redistest.Mini})
	f.cfg.Paths = map[string]string{mail.KindInvitation: "/app/join?t="}
	f.cfg.BaseURL = "https://users.example.com/portal/"
	d := f.dispatcher()
	id := f.newUser("ann@example.org", user.StatusInvited)
	_, inv := f.issue(id, user.PurposeInvitation, time.Hour)
	f.enqueue(mail.KindInvitation, id, inv.ID, uuid.NewString())
	f.once(d, 1)
	text := textPart(t, f.smtp.envelopes()[0].Data)
	if tok := linkToken(t, text, "https://users.example.com/portal/app/join?t="); tok == "" {
		t.Fatal("no token")
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		base    time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {5, 16 * time.Second}, {10, 512 * time.Second},
		{11, 10 * time.Minute}, {40, 10 * time.Minute}, {0, time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			got := outbox.DefaultBackoff(tt.attempt)
			lo, hi := time.Duration(float64(tt.base)*0.8), time.Duration(float64(tt.base)*1.2)
			if got < lo || got > hi {
				t.Fatalf("DefaultBackoff(%d) = %v, want %v..%v", tt.attempt, got, lo, hi)
			}
		}
	}
}
