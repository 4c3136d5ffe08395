package esdbtest

import (
	"context"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// pageSize is how many events the server reads from the backend at a time.
const pageSize = 256

// cursor walks the backend's global log page by page.
type cursor struct {
	backend eventstore.Store
	dir     eventstore.Direction
	from    eventstore.Position  // where the next page starts, inclusive
	skip    *eventstore.Position // an event the next page must not yield again
	page    []eventstore.RecordedEvent
	done    bool // no page after the current one
}

// newCursor starts at from; with exclusive set, the event at from itself is
// left out.
func newCursor(backend eventstore.Store, dir eventstore.Direction, from eventstore.Position, exclusive bool) *cursor {
	c := &cursor{backend: backend, dir: dir, from: from}
	if exclusive && from != eventstore.StartPosition && from != eventstore.EndPosition {
		c.skip = &from
	}
	return c
}

// next returns the next event, or false at the end of the log.
func (c *cursor) next(ctx context.Context) (eventstore.RecordedEvent, bool, error) {
	for len(c.page) == 0 {
		if c.done {
			return eventstore.RecordedEvent{}, false, nil
		}
		page, err := c.backend.ReadAll(ctx, eventstore.ReadAllOptions{Direction: c.dir, From: c.from, Max: pageSize})
		if err != nil {
			return eventstore.RecordedEvent{}, false, err
		}
		c.done = len(page) < pageSize
		if len(page) > 0 {
			last := page[len(page)-1].Position
			if c.skip != nil && page[0].Position == *c.skip {
				page = page[1:]
			}
			c.from, c.skip = last, &last
		}
		c.page = page
	}
	e := c.page[0]
	c.page = c.page[1:]
	return e, true, nil
}
