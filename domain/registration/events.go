package registration

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// Stream is the stream of the self-registration setting.
const Stream = "settings-registration"

// TypeSettingsChanged is the event type of SettingsChanged.
const TypeSettingsChanged = "registration.settings_changed.v1"

// SettingsChanged records new self-registration settings for the whole
// service. It carries the complete Settings, normalized, so that the last
// event alone is the setting in force. It applies to sign-ups from then on;
// accounts already created keep their roles and organization.
type SettingsChanged struct {
	Settings Settings  `json:"settings"`
	At       time.Time `json:"at"`
}

// EventType implements domain.Event.
func (SettingsChanged) EventType() string { return TypeSettingsChanged }

// Registrations lists the events of Stream for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{domain.Register[SettingsChanged]()}
}

// eventTime is the time stamped on new events: UTC and without the
// monotonic clock reading, so an event equals itself after a JSON round
// trip.
func eventTime(now time.Time) time.Time { return now.Round(0).UTC() }
