package esdbtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// The trailers EventStoreDB describes a failure with.
const (
	trailerException       = "exception"
	trailerStreamName      = "stream-name"
	trailerExpectedVersion = "expected-version"
	trailerActualVersion   = "actual-version"
)

// statusError answers a backend error about stream with the status, and
// trailers, EventStoreDB answers it with. ctx is the call's context, which
// carries the trailers.
func statusError(ctx context.Context, stream string, err error) error {
	switch {
	case errors.Is(err, eventstore.ErrStreamDeleted):
		_ = grpc.SetTrailer(ctx, metadata.Pairs(trailerException, "stream-deleted", trailerStreamName, stream))
		return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
	case errors.Is(err, eventstore.ErrStreamNotFound):
		_ = grpc.SetTrailer(ctx, metadata.Pairs(trailerException, "stream-not-found", trailerStreamName, stream))
		return status.Errorf(codes.NotFound, "Event stream '%s' is not found.", stream)
	case errors.Is(err, eventstore.ErrInvalidEvent):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, eventstore.ErrClosed):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, err.Error())
}

// wrongExpectedVersionError answers a Delete or Tombstone refused on its
// expected version the way EventStoreDB does: not with a typed answer but
// with a FailedPrecondition status whose trailers carry the versions.
func wrongExpectedVersionError(ctx context.Context, op string, w *eventstore.WrongExpectedRevisionError) error {
	expected := strconv.FormatInt(expectedVersion(w.Expected), 10)
	actual := strconv.FormatInt(w.Actual, 10)
	_ = grpc.SetTrailer(ctx, metadata.Pairs(
		trailerException, "wrong-expected-version",
		trailerStreamName, w.Stream,
		trailerExpectedVersion, expected,
		trailerActualVersion, actual,
	))
	return status.Error(codes.FailedPrecondition, fmt.Sprintf(
		"%s failed due to WrongExpectedVersion. Stream: %s, Expected version: %s, Actual version: %s",
		op, w.Stream, expected, actual))
}
