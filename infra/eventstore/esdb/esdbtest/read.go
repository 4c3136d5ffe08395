package esdbtest

import (
	"context"
	"errors"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Read serves reads of a stream or of $all, and subscriptions to $all.
// A read answers only events, or StreamNotFound: the client panics on any
// other message in a read.
func (s *streams) Read(req *api.ReadReq, call api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "a read needs options")
	}
	f, err := newFilter(o.GetFilter())
	if err != nil {
		return err
	}
	stringIDs := o.GetUuidOption().GetString_() != nil
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	switch {
	case o.GetSubscription() != nil && o.GetAll() != nil:
		return s.subscribe(call, o.GetAll(), f, stringIDs)
	case o.GetSubscription() != nil:
		return status.Error(codes.Unimplemented, "esdbtest: only subscriptions to $all are served")
	case o.GetStream() != nil:
		return s.readStream(call, o.GetStream(), backwards, o.GetCount(), stringIDs)
	case o.GetAll() != nil:
		return s.readAll(call, o.GetAll(), backwards, o.GetCount(), f, stringIDs)
	}
	return status.Error(codes.InvalidArgument, "a read needs a stream or $all")
}

// readStream serves a read of one stream, count events from a revision.
func (s *streams) readStream(call api.Streams_ReadServer, o *api.ReadReq_Options_StreamOptions, backwards bool, count uint64, stringIDs bool) error {
	ctx := call.Context()
	stream := string(o.GetStreamIdentifier().GetStreamName())
	var from uint64
	switch {
	case o.GetEnd() != nil && !backwards:
		return nil // nothing comes after the end
	case o.GetEnd() != nil:
		from = eventstore.End
	case o.GetStart() == nil:
		from = o.GetRevision()
	}
	if target, ok := metadataTarget(stream); ok {
		return s.readMetadata(call, target, from, backwards, count, stringIDs)
	}

	dir := eventstore.Forwards
	if backwards {
		dir = eventstore.Backwards
	}
	for sent := uint64(0); sent < count; {
		max := min(count-sent, pageSize)
		page, err := s.backend.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: dir, From: from, Max: int(max)})
		switch {
		case errors.Is(err, eventstore.ErrStreamNotFound) && sent == 0:
			return call.Send(streamNotFoundResp(stream))
		case errors.Is(err, eventstore.ErrStreamNotFound):
			return nil // deleted while we read
		case err != nil:
			return statusError(ctx, stream, err)
		}
		for _, e := range page {
			if err := call.Send(eventResp(e, stringIDs)); err != nil {
				return err
			}
		}
		sent += uint64(len(page))
		if uint64(len(page)) < max {
			return nil
		}
		last := page[len(page)-1].Revision
		if backwards && last == 0 {
			return nil
		}
		if backwards {
			from = last - 1
		} else {
			from = last + 1
		}
	}
	return nil
}

// readMetadata serves a read of the metadata stream of target, which holds
// only its current metadata at its current revision.
func (s *streams) readMetadata(call api.Streams_ReadServer, target string, from uint64, backwards bool, count uint64, stringIDs bool) error {
	ctx := call.Context()
	e, err := s.metadataEvent(ctx, target)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return call.Send(streamNotFoundResp(metadataStreamPrefix + target))
	case err != nil:
		return statusError(ctx, metadataStreamPrefix+target, err)
	}
	inRange := from <= e.Revision
	if backwards {
		inRange = from >= e.Revision
	}
	if count == 0 || !inRange {
		return nil
	}
	return call.Send(eventResp(e, stringIDs))
}

// readAll serves a read of count events of $all that pass f. Like
// EventStoreDB, a forwards read includes the event at its position and a
// backwards read starts strictly before it.
func (s *streams) readAll(call api.Streams_ReadServer, o *api.ReadReq_Options_AllOptions, backwards bool, count uint64, f *filter, stringIDs bool) error {
	ctx := call.Context()
	var c *cursor
	switch {
	case backwards && o.GetStart() != nil, !backwards && o.GetEnd() != nil:
		return nil
	case o.GetStart() != nil:
		c = newCursor(s.backend, eventstore.Forwards, eventstore.StartPosition, false)
	case o.GetEnd() != nil:
		c = newCursor(s.backend, eventstore.Backwards, eventstore.EndPosition, false)
	default:
		p := o.GetPosition()
		from := eventstore.Position{Commit: p.GetCommitPosition(), Prepare: p.GetPreparePosition()}
		if backwards {
			c = newCursor(s.backend, eventstore.Backwards, from, true)
		} else {
			c = newCursor(s.backend, eventstore.Forwards, from, false)
		}
	}
	for sent := uint64(0); sent < count; {
		e, ok, err := c.next(ctx)
		if err != nil {
			return statusError(ctx, "$all", err)
		}
		if !ok {
			return nil
		}
		if !f.matches(e) {
			continue
		}
		if err := call.Send(eventResp(e, stringIDs)); err != nil {
			return err
		}
		sent++
	}
	return nil
}

// lastPosition returns the position of the backend's last event, or
// StartPosition.
func (s *streams) lastPosition(ctx context.Context) (eventstore.Position, error) {
	last, err := s.backend.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.EndPosition, Max: 1})
	if err != nil || len(last) == 0 {
		return eventstore.StartPosition, err
	}
	return last[0].Position, nil
}
