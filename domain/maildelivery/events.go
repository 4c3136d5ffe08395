package maildelivery

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// StreamPrefix starts the name of every delivery stream, "mail-{eventID}".
const StreamPrefix = "mail-"

// Stream is the delivery stream of the mail the event eventID asked for.
func Stream(eventID string) string { return StreamPrefix + eventID }

// Event type names. They are stored with every event and must never change.
const (
	TypeSent    = "mail.sent.v1"
	TypeSkipped = "mail.skipped.v1"
	TypeFailed  = "mail.failed.v1"
)

// Reasons a mail was skipped (Skipped.Reason).
const (
	// ReasonLinkExpired: the link the mail carries expired before it went out.
	ReasonLinkExpired = "link_expired"
	// ReasonLinkNotPending: the link was used, revoked, superseded by a
	// newer one, or dropped (email change, deletion) before it went out.
	ReasonLinkNotPending = "link_not_pending"
	// ReasonNoAddress: the user has no email address (anonymized).
	ReasonNoAddress = "no_address"
)

// MaxErrorLen bounds Failed.Error, in bytes.
const MaxErrorLen = 300

// Sent records that the mail was handed to the mail server (or written to
// its file). Kind is the mail's kind ("invitation", "password_reset",
// "verification").
type Sent struct {
	EventID string    `json:"event_id"`
	Kind    string    `json:"kind"`
	At      time.Time `json:"at"`
}

// Skipped records that the mail was not sent, and why (a Reason* value).
type Skipped struct {
	EventID string    `json:"event_id"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// Failed records that the outbox gave up on the mail after Attempts
// deliveries, or at once for a message that can never be delivered. Error
// is the last error, short and free of addresses and secrets.
type Failed struct {
	EventID  string    `json:"event_id"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
}

// EventType implements domain.Event.
func (Sent) EventType() string { return TypeSent }

// EventType implements domain.Event.
func (Skipped) EventType() string { return TypeSkipped }

// EventType implements domain.Event.
func (Failed) EventType() string { return TypeFailed }

// Registrations lists the delivery events for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{
		domain.Register[Sent](),
		domain.Register[Skipped](),
		domain.Register[Failed](),
	}
}
