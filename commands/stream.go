package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// EventStore is what command handlers need of the event store.
type EventStore interface {
	Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error)
	ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error)
}

// Result is what a command answers: the stream's revision after it (the
// ETag) and the global position of its last event, which a query can pass
// back as min_position to read its own write. Appended is false when the
// command changed nothing; Position is then zero.
type Result struct {
	ID       uuid.UUID
	Revision uint64
	Position eventstore.Position
	Appended bool
}

// streams reads and writes domain events of one kind of stream.
type streams struct {
	store EventStore
	codec *domain.Codec
	now   func() time.Time
}

// load reads a whole stream and decodes it. revision is NoRevision when the
// stream does not exist.
func (s streams) load(ctx context.Context, stream string) (events []domain.Event, revision int64, err error) {
	revision = eventstore.NoRevision
	var from uint64
	for {
		page, err := s.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, eventstore.NoRevision, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, rec := range page {
			e, err := s.codec.Unmarshal(rec.Type, rec.Data)
			if err != nil {
				return nil, 0, fmt.Errorf("read %s at revision %d: %w", stream, rec.Revision, err)
			}
			events = append(events, e)
			revision = int64(rec.Revision)
		}
		if len(page) < eventstore.DefaultMaxCount {
			return events, revision, nil
		}
		from = uint64(revision) + 1
	}
}

// revision returns a stream's revision, NoRevision when it does not exist,
// reading its last record only and decoding no event.
func (s streams) revision(ctx context.Context, stream string) (int64, error) {
	last, err := s.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1})
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return eventstore.NoRevision, nil
	case err != nil:
		return 0, fmt.Errorf("read the revision of %s: %w", stream, err)
	case len(last) == 0:
		return eventstore.NoRevision, nil
	}
	return int64(last[0].Revision), nil
}

// loadFolded loads a stream (see load) and folds its events with fold,
// such as user.Load. Errors are prefixed with format and args ("load user
// %s", id).
func loadFolded[S any](ctx context.Context, s streams, stream string, fold func(...domain.Event) (S, error), format string, args ...any) (S, int64, error) {
	events, rev, err := s.load(ctx, stream)
	var state S
	if err == nil {
		state, err = fold(events...)
	}
	if err != nil {
		var zero S
		return zero, 0, fmt.Errorf(format+": %w", append(args, err)...)
	}
	return state, rev, nil
}

// loadSince reads a stream backwards, a page at a time, until an event
// for which from is true, and returns the events from that one on (all of
// them when there is none), oldest first, with the stream's revision.
func (s streams) loadSince(ctx context.Context, stream string, from func(domain.Event) bool) ([]domain.Event, int64, error) {
	const page = 64
	var newestFirst []domain.Event
	revision := int64(eventstore.NoRevision)
	next := eventstore.End
	for {
		recs, err := s.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: next, Max: page})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, eventstore.NoRevision, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", stream, err)
		}
		found := false
		for _, rec := range recs {
			if revision == eventstore.NoRevision {
				revision = int64(rec.Revision)
			}
			e, err := s.codec.Unmarshal(rec.Type, rec.Data)
			if err != nil {
				return nil, 0, fmt.Errorf("read %s at revision %d: %w", stream, rec.Revision, err)
			}
			newestFirst = append(newestFirst, e)
			if from(e) {
				found = true
				break
			}
		}
		if found || len(recs) < page || recs[len(recs)-1].Revision == 0 {
			slices.Reverse(newestFirst)
			return newestFirst, revision, nil
		}
		next = recs[len(recs)-1].Revision - 1
	}
}

// append encodes events with md and appends them at expected.
func (s streams) append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, md Metadata, events []domain.Event) (eventstore.AppendResult, error) {
	meta, err := md.encode(s.now())
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("encode metadata: %w", err)
	}
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, payload, err := s.codec.Marshal(e)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		data[i] = eventstore.EventData{ID: uuid.New(), Type: typ, Data: payload, Metadata: meta}
	}
	res, err := s.store.Append(ctx, stream, expected, data...)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	return res, nil
}

// expectedAt is the condition for appending after revision rev (NoRevision:
// the stream must not exist).
func expectedAt(rev int64) eventstore.ExpectedRevision {
	if rev == eventstore.NoRevision {
		return eventstore.NoStream()
	}
	return eventstore.Exact(uint64(rev))
}

// revisionOrZero is the Result revision of a stream at rev: 0 for an empty one.
func revisionOrZero(rev int64) uint64 {
	if rev == eventstore.NoRevision {
		return 0
	}
	return uint64(rev)
}

// decision is one command on one stream, as retryDecide runs it.
type decision[S any] struct {
	stream string
	// what names the stream's aggregate in errors: "the user".
	what string
	// ifMatch, when set, is the revision the caller last saw: a stream at
	// another revision, or one written concurrently, answers
	// domain.ErrPreconditionFailed, with no retry.
	ifMatch *uint64
	// retries bounds the rounds after a lost race.
	retries int
	// load reads the state and the stream's revision (NoRevision for an
	// empty stream). Its errors, such as the aggregate not existing, are
	// returned as they are, ahead of the If-Match check.
	load func(context.Context) (S, int64, error)
	// decide runs the command on the state. Its events are appended at the
	// loaded revision; with none, nothing is appended. It runs again on
	// fresh state after a lost race, so it must not have done anything
	// that cannot be done twice.
	decide func(S) ([]domain.Event, error)
	// op, when set, prefixes the errors of the append ("set lockout policy").
	op string
}

// NeverWritten, as an If-Match revision, is that of a caller that saw the
// stream empty (settings "never set", ETag "0"): a write since then fails
// the precondition like any other.
const NeverWritten = math.MaxUint64

// retryDecide is load -> decide -> append at the loaded revision. When a
// concurrent write got in first, it fails with ErrPreconditionFailed if the
// caller pinned the revision (If-Match); otherwise it pauses, then loads and
// decides again, up to d.retries times, and finally answers a
// *domain.ConflictError with the code "contention".
//
// The Result has no ID: callers add theirs. With no events, Appended is
// false and Revision is the stream's as loaded.
func retryDecide[S any](ctx context.Context, s streams, md Metadata, d decision[S]) (Result, error) {
	for attempt := 0; ; attempt++ {
		state, rev, err := d.load(ctx)
		if err != nil {
			return Result{}, err
		}
		if d.ifMatch != nil && *d.ifMatch == NeverWritten && rev != eventstore.NoRevision {
			return Result{}, fmt.Errorf("%w: If-Match says %s was never set, but it is at revision %d", domain.ErrPreconditionFailed, d.what, rev)
		}
		if d.ifMatch != nil && *d.ifMatch != NeverWritten && int64(*d.ifMatch) != rev {
			return Result{}, fmt.Errorf("%w: If-Match revision %d, %s is at revision %d", domain.ErrPreconditionFailed, *d.ifMatch, d.what, rev)
		}
		events, err := d.decide(state)
		if err != nil {
			return Result{}, err
		}
		if len(events) == 0 {
			return Result{Revision: revisionOrZero(rev)}, nil
		}
		res, err := s.append(ctx, d.stream, expectedAt(rev), md, events)
		if eventstore.IsWrongExpectedRevision(err) {
			switch {
			case d.ifMatch != nil:
				return Result{}, fmt.Errorf("%w: %s changed while the command ran", domain.ErrPreconditionFailed, d.what)
			case attempt < d.retries:
				if err := pause(ctx, attempt); err != nil {
					return Result{}, err
				}
				continue
			default:
				return Result{}, &domain.ConflictError{Code: "contention", Message: d.what + " is being changed concurrently; retry"}
			}
		}
		if err != nil {
			if d.op != "" {
				err = fmt.Errorf("%s: %w", d.op, err)
			}
			return Result{}, err
		}
		return Result{Revision: res.NextRevision, Position: res.Position, Appended: true}, nil
	}
}

// pause waits a random time that grows with the attempt (up to ~25 ms), so
// writers that lost a race do not collide again in lockstep.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 4)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
