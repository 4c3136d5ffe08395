package esdb

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// SubscribeToAll implements eventstore.Store with a catch-up subscription to
// $all, filtered by the server on stream-name prefixes or, without prefixes,
// on EventStoreDB's own events. The first subscription is opened before
// SubscribeToAll returns, so a refusal surfaces here.
//
// The subscription resumes by itself when the server drops it or the node
// becomes unreachable, from the last position it saw, until its context is
// done, it is closed, or the server refuses it for good (access denied).
func (s *Store) SubscribeToAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	after := opts.After
	if after == eventstore.EndPosition {
		// Pin the end now: resuming "from the end" after a drop would skip
		// what was appended in between.
		end, err := s.lastPosition(ctx)
		if err != nil {
			return nil, fmt.Errorf("esdb: subscribe to $all: %w", err)
		}
		after = end
	}
	subCtx, cancel := context.WithCancel(ctx)
	sub := &subscription{
		store:   s,
		ctx:     subCtx,
		cancel:  cancel,
		detach:  context.AfterFunc(s.ctx, cancel),
		filter:  subscriptionFilter(opts.Prefixes),
		after:   after,
		backoff: s.opts.ResubscribeBackoff,
	}
	if err := sub.open(); err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("esdb: subscribe to $all: %w", err)
	}
	return sub, nil
}

// subscriptionFilter selects the streams named by prefixes, or every event
// but EventStoreDB's own when there are none.
func subscriptionFilter(prefixes []string) *esdb.SubscriptionFilter {
	if len(prefixes) == 0 {
		return esdb.ExcludeSystemEventsFilter()
	}
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: prefixes}
}

// subscribeFrom maps the last position seen to where the client starts; the
// server starts strictly after a position.
func subscribeFrom(after eventstore.Position) esdb.AllPosition {
	if after == eventstore.StartPosition {
		return esdb.Start{}
	}
	return esdb.Position{Commit: after.Commit, Prepare: after.Prepare}
}

// subscription is an eventstore.Subscription over a sequence of client
// subscriptions: a new one replaces each that drops.
type subscription struct {
	store  *Store
	ctx    context.Context // done when the caller's context is, or on Close of either
	cancel context.CancelFunc
	detach func() bool // stops following the store's Close
	filter *esdb.SubscriptionFilter
	closed atomic.Bool

	// Owned by Recv (and open before SubscribeToAll returns).
	after   eventstore.Position // the last position seen: delivered, filtered or checkpointed
	inner   *esdb.Subscription  // nil after a drop
	backoff time.Duration       // the next pause before resuming
	failed  error               // the refusal that ended the subscription
}

// open starts a client subscription strictly after s.after.
func (s *subscription) open() error {
	return s.store.do(s.ctx, true, func(c *esdb.Client) error {
		inner, err := c.SubscribeToAll(s.ctx, esdb.SubscribeToAllOptions{
			From:   subscribeFrom(s.after),
			Filter: s.filter,
		})
		if err != nil {
			return err
		}
		s.inner = inner
		return nil
	})
}

// Recv implements eventstore.Subscription. When the client subscription
// drops, Recv opens a new one strictly after the last position seen (that
// of the last event, delivered or filtered out, or of the last checkpoint),
// so no event is repeated or skipped; an event at or before that position
// is never delivered even if a server sent it again. Caught-up notices are
// ignored. A refusal for good (access denied, unauthenticated) ends the
// subscription: Recv returns it from then on.
func (s *subscription) Recv() (eventstore.RecordedEvent, error) {
	for {
		if s.ctx.Err() != nil {
			return eventstore.RecordedEvent{}, s.endErr()
		}
		if s.failed != nil {
			return eventstore.RecordedEvent{}, s.failed
		}
		if s.inner == nil {
			if err := s.resume(); err != nil {
				return eventstore.RecordedEvent{}, err
			}
			continue
		}
		msg := s.inner.Recv()
		switch {
		case msg.EventAppeared != nil:
			e := msg.EventAppeared.OriginalEvent()
			pos := fromPosition(e.Position)
			if !s.isNew(pos) {
				continue
			}
			s.after = pos
			if isSystemEvent(e) {
				continue
			}
			return fromRecordedEvent(e), nil
		case msg.CheckPointReached != nil:
			if pos := fromPosition(*msg.CheckPointReached); s.isNew(pos) {
				s.after = pos
			}
		case msg.SubscriptionDropped != nil:
			_ = s.inner.Close()
			s.inner = nil
			if s.ctx.Err() != nil {
				return eventstore.RecordedEvent{}, s.endErr()
			}
			if err := msg.SubscriptionDropped.Error; isPermanent(err) {
				s.failed = fmt.Errorf("esdb: subscription refused: %w", err)
				continue
			}
			s.store.log.Warn("esdb: subscription dropped; resuming", "after", s.after, "err", msg.SubscriptionDropped.Error)
		}
	}
}

// isNew reports whether pos comes after the last position seen.
func (s *subscription) isNew(pos eventstore.Position) bool {
	return s.after == eventstore.StartPosition || s.after.Less(pos)
}

// resume pauses, then opens a new client subscription after the last
// position seen. It keeps trying, pausing twice as long each time, until it
// succeeds, the subscription ends, or the server refuses for good.
func (s *subscription) resume() error {
	for {
		select {
		case <-s.ctx.Done():
			return s.endErr()
		case <-time.After(s.backoff):
		}
		s.backoff = min(2*s.backoff, s.store.opts.ResubscribeMaxBackoff)
		err := s.open()
		switch {
		case err == nil:
			s.backoff = s.store.opts.ResubscribeBackoff
			return nil
		case s.ctx.Err() != nil:
			return s.endErr()
		case isPermanent(err):
			s.failed = fmt.Errorf("esdb: subscription refused: %w", err)
			return s.failed
		}
		s.store.log.Warn("esdb: resuming the subscription failed; retrying", "after", s.after, "err", err)
	}
}

// endErr is the error of a subscription that ended: eventstore.ErrClosed
// after Close of the subscription or the store, else the context's error.
func (s *subscription) endErr() error {
	if s.closed.Load() || s.store.isClosed() {
		return eventstore.ErrClosed
	}
	return fmt.Errorf("esdb: subscription: %w", s.ctx.Err())
}

// Close implements eventstore.Subscription. It may run while Recv blocks:
// it only cancels the context the client subscription runs in.
func (s *subscription) Close() error {
	s.closed.Store(true)
	s.detach()
	s.cancel()
	return nil
}

// isPermanent reports whether retrying cannot help: the server refused the
// subscription, not the network.
func isPermanent(err error) bool {
	switch status.Code(err) {
	case codes.PermissionDenied, codes.Unauthenticated, codes.InvalidArgument, codes.Unimplemented:
		return true
	}
	code, ok := clientCode(err)
	return ok && (code == esdb.ErrorCodeAccessDenied || code == esdb.ErrorCodeUnauthenticated ||
		code == esdb.ErrorCodeUnsupportedFeature)
}
