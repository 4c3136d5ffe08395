// Package outbox delivers the mails that events asked for: a Dispatcher
// takes the items the outbox projector queued (readmodels/mailqueue),
// builds each mail from the user's current history, sends it, and records
// the outcome in the mail's delivery stream (domain/maildelivery).
//
// # Delivery contract
//
// At least once, deduplicated by event ID: an item is acked only after its
// outcome is recorded, and an item whose outcome is recorded already is
// acked without sending. A dispatcher that dies mid-send leaves its items
// to come back after their lease, so a mail may go out twice in that case
// (with the same Message-ID; the file sender writes it once) but is never
// lost. A failed send is retried with backoff; a message that can never be
// delivered (mail.ErrInvalidMessage), or one that failed MaxAttempts
// times, is recorded as failed. A link that is dead by the time the mail
// would go out (used, revoked, superseded, expired, or the user's address
// changed) is recorded as skipped and not sent.
//
// Nothing here blocks a command: commands append events, the projector
// queues, and dispatchers run on their own.
//
// Log lines and recorded errors name the event, the kind and the user,
// never the address, the link or the token.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/maildelivery"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/readmodels/mailqueue"
)

// Users loads a user from its history (commands.Users does). A user whose
// history is empty or gone may answer an error matching domain.ErrNotFound.
type Users interface {
	Load(ctx context.Context, id uuid.UUID) (*user.User, int64, error)
}

// Links mints the token a link carries (*linktoken.Minter does); it must
// use the key the command layer hashes tokens under.
type Links interface {
	Mint(purpose string, userID, tokenID uuid.UUID) string
}

// Deliveries is the record of mail outcomes (*commands.MailDeliveries).
type Deliveries interface {
	Done(ctx context.Context, eventID string) (bool, error)
	Record(ctx context.Context, md commands.Metadata, e domain.Event) error
}

// purposes maps each mail kind to the purpose of the link it carries.
var purposes = map[string]user.Purpose{
	mail.KindInvitation:    user.PurposeInvitation,
	mail.KindPasswordReset: user.PurposeReset,
	mail.KindVerification:  user.PurposeVerification,
}

// Dispatcher delivers queued mails. It is safe for concurrent use, and any
// number of dispatchers (in one process or many) may share a queue.
type Dispatcher struct {
	cfg Config
}

// NewDispatcher checks cfg and returns a Dispatcher.
func NewDispatcher(cfg Config) (*Dispatcher, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Dispatcher{cfg: cfg}, nil
}

// Run delivers mails until ctx is done, then returns nil. Errors are
// logged and the mails concerned retried; they never stop the loop.
func (d *Dispatcher) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := d.Once(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			d.cfg.Logger.WarnContext(ctx, "mail outbox round failed", slog.Any("error", err))
		}
		if n == d.cfg.Concurrency && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
		case <-time.After(d.cfg.PollInterval):
		}
	}
	return nil
}

// Once runs one round: it claims up to Concurrency due mails and handles
// them at once. It returns how many it claimed and the errors that left a
// mail to come back after its lease (the event store or Redis failing);
// a failed send is not such an error, it is retried or recorded.
func (d *Dispatcher) Once(ctx context.Context) (int, error) {
	items, err := d.cfg.Queue.Claim(ctx, d.cfg.Now(), d.cfg.Lease, d.cfg.Concurrency)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() {
			if err := d.deliver(ctx, it); err != nil {
				errs[i] = fmt.Errorf("outbox: mail of event %s: %w", it.EventID, err)
			}
		})
	}
	wg.Wait()
	return len(items), errors.Join(errs...)
}

// deliver handles one claimed mail. An error leaves it claimed, to come
// back after the lease.
func (d *Dispatcher) deliver(ctx context.Context, it mailqueue.Item) error {
	log := d.cfg.Logger.With(slog.String("event_id", it.EventID), slog.String("kind", it.Kind), slog.String("user_id", it.UserID.String()))
	done, err := d.cfg.Deliveries.Done(ctx, it.EventID)
	if err != nil {
		return err
	}
	if done {
		log.DebugContext(ctx, "mail delivered before")
		d.count(it, OutcomeDuplicate)
		return d.ack(ctx, it)
	}
	purpose, ok := purposes[it.Kind]
	if !ok {
		return d.fail(ctx, log, it, it.Attempts+1, fmt.Sprintf("unknown mail kind %q", it.Kind))
	}
	u, _, err := d.cfg.Users.Load(ctx, it.UserID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return d.skip(ctx, log, it, maildelivery.ReasonLinkNotPending)
	case err != nil:
		return fmt.Errorf("load user %s: %w", it.UserID, err)
	}
	now := d.cfg.Now()
	if reason := deadLink(u, purpose, it.TokenID, now); reason != "" {
		return d.skip(ctx, log, it, reason)
	}
	if u.Email() == "" {
		return d.skip(ctx, log, it, maildelivery.ReasonNoAddress)
	}
	msg, err := d.compose(it, purpose, u)
	if err != nil {
		return d.fail(ctx, log, it, it.Attempts+1, err.Error())
	}
	if err := d.cfg.Sender.Send(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the lease brings it back
		}
		return d.retryOrFail(ctx, log, it, scrub(err.Error(), u.Email()), errors.Is(err, mail.ErrInvalidMessage))
	}
	if err := d.record(ctx, it, maildelivery.NewSent(it.EventID, it.Kind, d.cfg.Now())); err != nil {
		return err
	}
	log.InfoContext(ctx, "mail sent", slog.Int("attempts", it.Attempts+1))
	d.count(it, OutcomeSent)
	return d.ack(ctx, it)
}

// deadLink says why the link of purpose with tokenID is not worth mailing
// at now, or "" when it is live.
func deadLink(u *user.User, purpose user.Purpose, tokenID uuid.UUID, now time.Time) string {
	if u.LinkPending(purpose, tokenID, now) {
		return ""
	}
	if p := u.Link(purpose).Pending; p.ID == tokenID && tokenID != uuid.Nil {
		return maildelivery.ReasonLinkExpired
	}
	return maildelivery.ReasonLinkNotPending
}

// compose renders the mail of it for u.
func (d *Dispatcher) compose(it mailqueue.Item, purpose user.Purpose, u *user.User) (mail.Message, error) {
	link := d.cfg.BaseURL + d.cfg.Paths[it.Kind] + d.cfg.Links.Mint(string(purpose), it.UserID, it.TokenID)
	subject, text, html, err := d.cfg.Templates.Render(it.Kind, mail.Data{
		Name:      strings.TrimSpace(u.FirstName() + " " + u.LastName()),
		Link:      link,
		ExpiresAt: u.Link(purpose).Pending.ExpiresAt,
	})
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{
		ID: it.EventID, To: []string{u.Email()}, Subject: subject, Text: text, HTML: html,
		// RFC 3834: an automatic mail, which auto-responders do not answer.
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	}, nil
}

// retryOrFail handles a failed send: it schedules the next attempt, or
// gives up when the message is invalid or the attempts are spent.
func (d *Dispatcher) retryOrFail(ctx context.Context, log *slog.Logger, it mailqueue.Item, errText string, permanent bool) error {
	attempts := it.Attempts + 1
	if permanent || attempts >= d.cfg.MaxAttempts {
		return d.fail(ctx, log, it, attempts, errText)
	}
	wait := d.cfg.Backoff(attempts)
	if err := d.cfg.Queue.Retry(ctx, it, d.cfg.Now().Add(wait)); err != nil {
		return err
	}
	log.WarnContext(ctx, "mail not sent; will retry", slog.Int("attempts", attempts), slog.Duration("retry_in", wait), slog.String("error", errText))
	d.count(it, OutcomeRetried)
	return nil
}

// fail records that the outbox gave up on it, and acks it.
func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, it mailqueue.Item, attempts int, errText string) error {
	e := maildelivery.NewFailed(it.EventID, attempts, errText, d.cfg.Now())
	if err := d.record(ctx, it, e); err != nil {
		return err
	}
	log.ErrorContext(ctx, "mail given up", slog.Int("attempts", attempts), slog.String("error", e.Error))
	d.count(it, OutcomeFailed)
	return d.ack(ctx, it)
}

// skip records that it is not worth sending, and acks it.
func (d *Dispatcher) skip(ctx context.Context, log *slog.Logger, it mailqueue.Item, reason string) error {
	if err := d.record(ctx, it, maildelivery.NewSkipped(it.EventID, reason, d.cfg.Now())); err != nil {
		return err
	}
	log.InfoContext(ctx, "mail skipped", slog.String("reason", reason))
	d.count(it, OutcomeSkipped)
	return d.ack(ctx, it)
}

// record appends an outcome with the metadata of the outbox's own work,
// caused by the mail's event and correlated with the request behind it.
func (d *Dispatcher) record(ctx context.Context, it mailqueue.Item, e domain.Event) error {
	correlation := it.CorrelationID
	if correlation == "" {
		correlation = it.EventID
	}
	md := commands.System(correlation)
	md.CausationID = it.EventID
	return d.cfg.Deliveries.Record(ctx, md, e)
}

func (d *Dispatcher) ack(ctx context.Context, it mailqueue.Item) error {
	return d.cfg.Queue.Ack(ctx, it.EventID)
}

func (d *Dispatcher) count(it mailqueue.Item, outcome string) {
	kind := it.Kind
	if _, ok := purposes[kind]; !ok {
		kind = "unknown"
	}
	d.cfg.Metrics.count(kind, outcome)
}

// scrub removes the recipient's address from an error text (mail servers
// name the recipient they refuse), so logs and the delivery record hold
// no address.
func scrub(errText, address string) string {
	if address == "" {
		return errText
	}
	return regexp.MustCompile(`(?i)`+regexp.QuoteMeta(address)).ReplaceAllString(errText, "<recipient>")
}
