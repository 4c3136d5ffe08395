// Package commands holds the application's command handlers: each
// validates, loads an aggregate from its stream, lets the domain decide, and
// appends the new events at the revision it loaded, retrying on a
// concurrent write unless the caller pinned a revision (If-Match).
package commands

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the version of the metadata envelope below.
const SchemaVersion = 1

// Actor kinds.
const (
	ActorUser   = "user"
	ActorSystem = "system"
)

// Metadata is the context every event carries next to its payload: who did
// it, from where, why, and which request it belongs to. It never holds
// secrets. It is stored as the event's metadata JSON.
type Metadata struct {
	ActorID       string    `json:"actor_id"`
	ActorKind     string    `json:"actor_kind"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	ClientIP      string    `json:"client_ip,omitempty"`
	UserAgent     string    `json:"user_agent,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	SchemaVersion int       `json:"schema_version"`
	Time          time.Time `json:"time"`
}

// System is the metadata of work the service does on its own.
func System(correlationID string) Metadata {
	return Metadata{ActorID: ActorSystem, ActorKind: ActorSystem, CorrelationID: correlationID}
}

func (m Metadata) encode(now time.Time) ([]byte, error) {
	m.SchemaVersion = SchemaVersion
	m.Time = now.UTC()
	if m.ActorKind == "" {
		m.ActorKind = ActorSystem
	}
	if m.ActorID == "" {
		m.ActorID = ActorSystem
	}
	return json.Marshal(m)
}

// DecodeMetadata reads the metadata of a stored event.
func DecodeMetadata(raw []byte) (Metadata, error) {
	var m Metadata
	err := json.Unmarshal(raw, &m)
	return m, err
}
