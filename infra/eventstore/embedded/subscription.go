package embedded

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"go.etcd.io/bbolt"
)

// subscriptionPage is how many log records a subscription scans per read
// transaction.
const subscriptionPage = 2048

// SubscribeToAll implements eventstore.Store. The subscription reads the log
// itself, page by page after the last position it scanned, so catching up
// and following live writes are the same loop: when a read finds nothing
// new, Recv sleeps until the writer's next commit. Events are delivered in
// position order, each once. Events of streams tombstoned after they were
// read may still be delivered from the subscription's current page.
//
// After == EndPosition subscribes to events committed from now on. The
// subscription holds no goroutine; Recv does the work.
func (s *Store) SubscribeToAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe to all: %w", err)
	}
	if s.isClosing() {
		return nil, fmt.Errorf("subscribe to all: %w", eventstore.ErrClosed)
	}
	after := opts.After.Commit
	if after == eventstore.EndPosition.Commit {
		last, err := s.LastPosition(ctx)
		if err != nil {
			return nil, fmt.Errorf("subscribe to all: %w", err)
		}
		after = last.Commit
	}
	return &subscription{
		store:    s,
		ctx:      ctx,
		prefixes: slices.Clone(opts.Prefixes),
		after:    after,
		done:     make(chan struct{}),
	}, nil
}

// subscription is a SubscribeToAll subscription. Recv must not be called
// concurrently with itself; Close may be called from any goroutine.
type subscription struct {
	store    *Store
	ctx      context.Context
	prefixes []string
	// after is the last log position scanned.
	after uint64
	// page holds delivered-next events; next indexes the first undelivered.
	page []eventstore.RecordedEvent
	next int

	done      chan struct{}
	closeOnce sync.Once
}

// Recv returns the next event. It returns eventstore.ErrClosed after Close
// of the subscription or the store, and ctx's error once the
// subscription's context is done.
func (sub *subscription) Recv() (eventstore.RecordedEvent, error) {
	for {
		if err := sub.stopped(); err != nil {
			return eventstore.RecordedEvent{}, err
		}
		if sub.next < len(sub.page) {
			ev := sub.page[sub.next]
			sub.page[sub.next] = eventstore.RecordedEvent{}
			sub.next++
			return ev, nil
		}
		// Take the signal before reading: a commit after the read closes
		// it, so no wake-up is lost.
		committed := sub.store.commitSignal()
		atEnd, err := sub.fetch()
		if err != nil {
			if stopErr := sub.stopped(); stopErr != nil {
				return eventstore.RecordedEvent{}, stopErr
			}
			return eventstore.RecordedEvent{}, fmt.Errorf("subscription: %w", err)
		}
		if len(sub.page) > 0 || !atEnd {
			continue
		}
		select {
		case <-committed:
		case <-sub.done:
		case <-sub.store.closing:
		case <-sub.ctx.Done():
		}
	}
}

// stopped returns why the subscription ended, or nil.
func (sub *subscription) stopped() error {
	select {
	case <-sub.done:
		return eventstore.ErrClosed
	case <-sub.store.closing:
		return eventstore.ErrClosed
	default:
	}
	return sub.ctx.Err()
}

// fetch reads the next page of matching events into sub.page and reports
// whether it reached the end of the log.
func (sub *subscription) fetch() (atEnd bool, err error) {
	sub.page, sub.next = sub.page[:0], 0
	err = sub.store.view(sub.ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketLog).Cursor()
		dec := newDecoder()
		k, v := c.Seek(positionKey(nil, sub.after+1))
		for n := 0; n < subscriptionPage; n++ {
			if k == nil {
				atEnd = true
				return nil
			}
			pos := decodeUint64(k)
			match, err := sub.matches(v)
			if err != nil {
				return fmt.Errorf("position %d: %w", pos, err)
			}
			if match {
				sub.page = append(sub.page, eventstore.RecordedEvent{})
				if err := dec.decode(pos, v, &sub.page[len(sub.page)-1]); err != nil {
					return err
				}
			}
			sub.after = pos
			k, v = c.Next()
		}
		return nil
	})
	return atEnd, err
}

func (sub *subscription) matches(rec []byte) (bool, error) {
	if len(sub.prefixes) == 0 {
		return true, nil
	}
	stream, err := recordStream(rec)
	if err != nil {
		return false, err
	}
	for _, p := range sub.prefixes {
		if len(stream) >= len(p) && string(stream[:len(p)]) == p {
			return true, nil
		}
	}
	return false, nil
}

// Close ends the subscription; a blocked Recv returns eventstore.ErrClosed.
// It is safe to call more than once and from any goroutine.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.done) })
	return nil
}
