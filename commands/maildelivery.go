package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/maildelivery"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// MailDeliveries records what became of each mail the outbox was asked to
// send, one stream per causing event (maildelivery.Stream). It is the
// outbox's dedup: a mail whose stream is written is done. It is safe for
// concurrent use.
type MailDeliveries struct {
	s streams
}

// NewMailDeliveries returns the delivery record over store; now (nil: the
// clock) stamps the metadata.
func NewMailDeliveries(store EventStore, now func() time.Time) (*MailDeliveries, error) {
	if store == nil {
		return nil, errors.New("commands: mail deliveries: no event store")
	}
	if now == nil {
		now = time.Now
	}
	codec, err := domain.NewCodec(maildelivery.Registrations()...)
	if err != nil {
		return nil, fmt.Errorf("commands: mail deliveries: %w", err)
	}
	return &MailDeliveries{s: streams{store: store, codec: codec, now: now}}, nil
}

// Done reports whether the mail that the event eventID asked for has an
// outcome recorded.
func (d *MailDeliveries) Done(ctx context.Context, eventID string) (bool, error) {
	stream := maildelivery.Stream(eventID)
	recs, err := d.s.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Max: 1})
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("mail delivery %s: read %s: %w", eventID, stream, err)
	}
	return len(recs) > 0, nil
}

// Record appends an outcome (maildelivery.Sent, Skipped or Failed) to the
// stream of the event it is about, which must not exist yet: an outcome is
// recorded once. When another dispatcher recorded one first, Record
// returns nil and the first outcome stands. A malformed outcome is a
// *domain.ValidationError.
func (d *MailDeliveries) Record(ctx context.Context, md Metadata, e domain.Event) error {
	eventID, err := maildelivery.Cause(e)
	if err != nil {
		return fmt.Errorf("record mail delivery: %w", err)
	}
	_, err = d.s.append(ctx, maildelivery.Stream(eventID), eventstore.NoStream(), md, []domain.Event{e})
	if eventstore.IsWrongExpectedRevision(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record mail delivery %s: %w", eventID, err)
	}
	return nil
}
