package domain

// Event is a fact an aggregate decided. Events are immutable values with
// JSON-tagged fields; their encoding is the stored payload, so renaming a
// field or changing its meaning needs a new type version.
type Event interface {
	// EventType is the stable, versioned type name the event is stored under,
	// "<aggregate>.<fact>.v<n>", e.g. "user.created.v1". It must not depend
	// on the event's field values.
	EventType() string
}

// PIIMember is the JSON member under which an event groups the person's
// data (email, names, notes about them). Keeping that data in one member is
// what lets the infrastructure encrypt it with a per-person key and make it
// unreadable by deleting the key (crypto-shredding), while the rest of the
// event stays readable and replayable.
const PIIMember = "pii"
