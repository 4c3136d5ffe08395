package esdbtest

import (
	"context"
	"errors"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// subscribe serves a catch-up subscription to $all: a confirmation, the
// events after the requested position read from the backend's log (with a
// checkpoint every f.interval events scanned when filtered), a checkpoint
// and a caught-up notice, then live events from a backend subscription that
// starts where the catch-up ended. It ends when the client goes away, the
// server stops, or DropSubscriptions is called.
func (s *streams) subscribe(call api.Streams_ReadServer, o *api.ReadReq_Options_AllOptions, f *filter, stringIDs bool) error {
	ctx, cancel := context.WithCancelCause(call.Context())
	defer cancel(nil)
	defer s.subs.add(cancel)()

	after, err := s.subscribeFrom(ctx, o)
	if err != nil {
		return subscriptionError(ctx, err)
	}
	confirmation := &api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}
	if err := call.Send(confirmation); err != nil {
		return err
	}

	c := newCursor(s.backend, eventstore.Forwards, after, true)
	for scanned := 1; ; scanned++ {
		e, ok, err := c.next(ctx)
		if err != nil {
			return subscriptionError(ctx, err)
		}
		if !ok {
			break
		}
		after = e.Position
		if f.matches(e) {
			if err := call.Send(eventResp(e, stringIDs)); err != nil {
				return err
			}
		}
		if f != nil && scanned%f.interval == 0 {
			if err := call.Send(checkpointResp(after)); err != nil {
				return err
			}
		}
	}
	if f != nil {
		if err := call.Send(checkpointResp(after)); err != nil {
			return err
		}
	}
	caughtUp := &api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}
	if err := call.Send(caughtUp); err != nil {
		return err
	}

	live, err := s.backend.SubscribeToAll(ctx, eventstore.SubscribeOptions{After: after, Prefixes: f.backendPrefixes()})
	if err != nil {
		return subscriptionError(ctx, err)
	}
	defer live.Close()
	for {
		e, err := live.Recv()
		if err != nil {
			return subscriptionError(ctx, err)
		}
		if !f.matches(e) {
			continue
		}
		if err := call.Send(eventResp(e, stringIDs)); err != nil {
			return err
		}
	}
}

// subscribeFrom returns the position a subscription starts after: the
// given one, the start, or the current end of the log.
func (s *streams) subscribeFrom(ctx context.Context, o *api.ReadReq_Options_AllOptions) (eventstore.Position, error) {
	switch {
	case o.GetStart() != nil:
		return eventstore.StartPosition, nil
	case o.GetEnd() != nil:
		return s.lastPosition(ctx)
	}
	p := o.GetPosition()
	return eventstore.Position{Commit: p.GetCommitPosition(), Prepare: p.GetPreparePosition()}, nil
}

// subscriptionError is the status a subscription ends with.
func subscriptionError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errDropped) {
		return status.Error(codes.Aborted, errDropped.Error())
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return statusError(ctx, "$all", err)
}
