package esdbtest

import (
	"context"
	"errors"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// Delete serves a soft delete. The answer always carries a position.
func (s *streams) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	stream := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	pos, err := s.backend.DeleteStream(ctx, stream, expectedFromDelete(req.GetOptions()))
	if err != nil {
		return nil, deleteError(ctx, "Delete", stream, err)
	}
	return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{
		CommitPosition:  pos.Commit,
		PreparePosition: pos.Prepare,
	}}}, nil
}

// Tombstone serves a hard delete. The answer always carries a position.
func (s *streams) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	stream := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	pos, err := s.backend.TombstoneStream(ctx, stream, expectedFromTombstone(req.GetOptions()))
	if err != nil {
		return nil, deleteError(ctx, "Delete", stream, err)
	}
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{
		CommitPosition:  pos.Commit,
		PreparePosition: pos.Prepare,
	}}}, nil
}

// deleteError answers a failed Delete or Tombstone (EventStoreDB names both
// operations "Delete" in its messages).
func deleteError(ctx context.Context, op, stream string, err error) error {
	var wrong *eventstore.WrongExpectedRevisionError
	if errors.As(err, &wrong) {
		return wrongExpectedVersionError(ctx, op, wrong)
	}
	return statusError(ctx, stream, err)
}
