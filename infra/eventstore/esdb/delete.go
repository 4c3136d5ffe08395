package esdb

import (
	"context"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// DeleteStream implements eventstore.Store. A refusal on the expected
// revision reaches the client untyped; it still answers
// *eventstore.WrongExpectedRevisionError. A delete that met an unavailable
// node is not sent again: it may have been applied.
func (s *Store) DeleteStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	var res *esdb.DeleteResult
	err := s.do(ctx, false, func(c *esdb.Client) error {
		var err error
		res, err = c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: toExpectedRevision(expected)})
		return err
	})
	if err != nil {
		return eventstore.Position{}, s.writeError(ctx, "delete", stream, stream, expected, err)
	}
	return fromPosition(res.Position), nil
}

// TombstoneStream implements eventstore.Store, like DeleteStream.
func (s *Store) TombstoneStream(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.Position, error) {
	var res *esdb.DeleteResult
	err := s.do(ctx, false, func(c *esdb.Client) error {
		var err error
		res, err = c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{ExpectedRevision: toExpectedRevision(expected)})
		return err
	})
	if err != nil {
		return eventstore.Position{}, s.writeError(ctx, "tombstone", stream, stream, expected, err)
	}
	return fromPosition(res.Position), nil
}
