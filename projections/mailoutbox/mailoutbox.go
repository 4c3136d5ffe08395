// Package mailoutbox turns the user events that ask for a mail into items
// of the mail queue (readmodels/mailqueue), which the outbox dispatcher
// (infra/outbox) delivers.
//
// Queueing is part of the projector's transaction, so the command that
// caused a mail only appends its event: it never waits for, or fails
// with, the mail. Every event is queued at least once; a replay queues
// nothing new while the item waits (see Queue.Enqueue), and after a
// delivery the dispatcher's record (domain/maildelivery) keeps a replayed
// event from being sent again.
package mailoutbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/readmodels/mailqueue"
)

// Name is the projector's name: its checkpoint, lease and metrics label.
const Name = "mail-outbox"

// New returns the outbox projector over queue. Its Reset empties the
// queue before a rebuild; the rebuild queues every mail event of the log
// again, and the dispatcher skips those already delivered.
//
// It reads user streams and decodes three event types only:
// InvitationSent, ResetRequested and VerificationSent; every other event
// is skipped without being decoded.
func New(queue *mailqueue.Queue) (projections.Projector, error) {
	if queue == nil {
		return projections.Projector{}, errors.New("mailoutbox: no queue")
	}
	codec, err := domain.NewCodec(user.Registrations()...)
	if err != nil {
		return projections.Projector{}, err
	}
	return projections.Projector{
		Name:     Name,
		Prefixes: []string{user.StreamPrefix},
		Handler:  &handler{queue: queue, codec: codec},
		Reset:    queue.Reset,
	}, nil
}

type handler struct {
	queue *mailqueue.Queue
	codec *domain.Codec
}

// Apply queues one item per mail event, due at the event's time.
func (h *handler) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	for _, rec := range events {
		switch rec.Type {
		case user.TypeInvitationSent, user.TypeResetRequested, user.TypeVerificationSent:
		default:
			continue
		}
		e, err := h.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("mailoutbox: event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		var (
			kind   string
			userID uuid.UUID
			tok    user.Token
			at     time.Time
		)
		switch e := e.(type) {
		case user.InvitationSent:
			kind, userID, tok, at = mail.KindInvitation, e.UserID, e.Token, e.At
		case user.ResetRequested:
			kind, userID, tok, at = mail.KindPasswordReset, e.UserID, e.Token, e.At
		case user.VerificationSent:
			kind, userID, tok, at = mail.KindVerification, e.UserID, e.Token, e.At
		}
		item := mailqueue.Item{
			EventID: rec.ID.String(), Kind: kind, UserID: userID, TokenID: tok.ID,
			CorrelationID: correlationID(rec.Metadata),
		}
		if err := h.queue.Enqueue(ctx, pipe, item, at); err != nil {
			return fmt.Errorf("mailoutbox: event %s: %w", rec.ID, err)
		}
	}
	return nil
}

// correlationID reads the correlation ID of an event's metadata (the
// envelope commands.Metadata writes); unreadable metadata has none. The
// projector reads the one member it needs rather than importing the
// command layer.
func correlationID(metadata []byte) string {
	var md struct {
		CorrelationID string `json:"correlation_id"`
	}
	if len(metadata) == 0 || json.Unmarshal(metadata, &md) != nil {
		return ""
	}
	return md.CorrelationID
}
