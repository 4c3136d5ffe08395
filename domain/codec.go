package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrUnknownEventType is returned, wrapped with the type name, for an event
// type the Codec has no registration for.
var ErrUnknownEventType = errors.New("unknown event type")

// Registration binds one event type name to its Go type. Build it with
// Register.
type Registration struct {
	typ     string
	decode  func(data []byte) (Event, error)
	matches func(Event) bool
}

// Register returns the Registration of the event type E. E is a value type
// whose EventType does not look at field values, so the zero E names it.
func Register[E Event]() Registration {
	var zero E
	return Registration{
		typ: zero.EventType(),
		decode: func(data []byte) (Event, error) {
			var e E
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, err
			}
			return e, nil
		},
		matches: func(ev Event) bool {
			_, ok := ev.(E)
			return ok
		},
	}
}

// Codec maps event type names to Go types and back: Marshal gives the type
// name and JSON payload to store, Unmarshal turns a stored (type, data) pair
// into the typed event. A Codec is immutable after NewCodec and safe for
// concurrent use; each binary builds the one it needs, there is no global
// registry.
type Codec struct {
	regs map[string]Registration
}

// NewCodec builds a Codec from registrations, typically the lists each
// aggregate package exports (e.g. user.Registrations()). It fails on an
// empty or duplicate type name, because either would make stored events
// ambiguous.
func NewCodec(regs ...Registration) (*Codec, error) {
	c := &Codec{regs: make(map[string]Registration, len(regs))}
	for _, r := range regs {
		if r.typ == "" || r.decode == nil {
			return nil, errors.New("domain: event registration without a type name; use Register")
		}
		if _, dup := c.regs[r.typ]; dup {
			return nil, fmt.Errorf("domain: event type %q registered twice", r.typ)
		}
		c.regs[r.typ] = r
	}
	return c, nil
}

// Marshal returns the event's type name and JSON payload. Only registered
// events are accepted, so everything written can be read back.
func (c *Codec) Marshal(e Event) (eventType string, data []byte, err error) {
	if e == nil {
		return "", nil, errors.New("domain: marshal nil event")
	}
	t := e.EventType()
	r, ok := c.regs[t]
	if !ok {
		return "", nil, fmt.Errorf("domain: marshal %T: %w %q", e, ErrUnknownEventType, t)
	}
	if !r.matches(e) {
		return "", nil, fmt.Errorf("domain: marshal %T: type %q is registered for another Go type", e, t)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("domain: marshal %q: %w", t, err)
	}
	return t, data, nil
}

// Unmarshal decodes a stored payload into the event type registered for
// eventType. Unknown JSON members are ignored so that older code can read
// events written by newer code that added optional fields.
func (c *Codec) Unmarshal(eventType string, data []byte) (Event, error) {
	r, ok := c.regs[eventType]
	if !ok {
		return nil, fmt.Errorf("domain: unmarshal: %w %q", ErrUnknownEventType, eventType)
	}
	e, err := r.decode(data)
	if err != nil {
		return nil, fmt.Errorf("domain: unmarshal %q: %w", eventType, err)
	}
	return e, nil
}

// Types returns the registered type names in sorted order, e.g. for tests
// that check every type round-trips.
func (c *Codec) Types() []string {
	return slices.Sorted(maps.Keys(c.regs))
}
