package esdbtest

import (
	"context"
	"errors"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Append serves an append: the options first, then the events. A wrong
// expected version is a regular answer, not a status; an idempotent retry
// is answered without a position; an append to "$$<stream>" sets the
// stream's metadata.
func (s *streams) Append(call api.Streams_AppendServer) error {
	ctx := call.Context()
	first, err := call.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	expected := expectedFromAppend(opts)

	var events []eventstore.EventData
	for {
		req, err := call.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			return status.Error(codes.InvalidArgument, "only the first append message may carry options")
		}
		e, err := eventFromProposed(msg)
		if err != nil {
			return err
		}
		events = append(events, e)
	}

	var (
		res     eventstore.AppendResult
		retried bool
	)
	if target, ok := metadataTarget(stream); ok {
		res, err = s.setMetadata(ctx, target, expected, events)
	} else {
		res, retried, err = s.append(ctx, stream, expected, events)
	}
	var wrong *eventstore.WrongExpectedRevisionError
	switch {
	case errors.As(err, &wrong):
		return call.SendAndClose(wrongExpectedVersionResp(wrong))
	case err != nil:
		return statusError(ctx, stream, err)
	}
	success := &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: res.NextRevision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition:  res.Position.Commit,
			PreparePosition: res.Position.Prepare,
		}},
	}
	if retried {
		success.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	}
	return call.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: success}})
}

// append appends events to the backend and reports whether the append was
// an idempotent retry of one already stored, which EventStoreDB answers
// without a position. A retry's result lies at or before the end of the
// log as it was before the call; a new append's lies beyond.
func (s *streams) append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (res eventstore.AppendResult, retried bool, err error) {
	end, err := s.lastPosition(ctx)
	if err != nil {
		return eventstore.AppendResult{}, false, err
	}
	res, err = s.backend.Append(ctx, stream, expected, events...)
	if err != nil {
		return eventstore.AppendResult{}, false, err
	}
	return res, !end.Less(res.Position), nil
}

func wrongExpectedVersionResp(w *eventstore.WrongExpectedRevisionError) *api.AppendResp {
	out := &api.AppendResp_WrongExpectedVersion{}
	if w.Actual == eventstore.NoRevision {
		out.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		out.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(w.Actual)}
	}
	switch rev, exact := w.Expected.Exact(); {
	case exact:
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: rev}
	case w.Expected.IsNoStream():
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case w.Expected.IsStreamExists():
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: out}}
}
