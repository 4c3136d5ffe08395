package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// recvN receives n events or fails the test after a timeout.
func recvN(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	type result struct {
		evs []eventstore.RecordedEvent
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for range n {
			ev, err := sub.Recv()
			if err != nil {
				r.err = err
				break
			}
			r.evs = append(r.evs, ev)
		}
		done <- r
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Recv after %d events: %v", len(r.evs), r.err)
		}
		return r.evs
	case <-time.After(10 * time.Second):
		_ = sub.Close()
		t.Fatalf("timed out waiting for %d events", n)
		return nil
	}
}

func subscribe(t *testing.T, s eventstore.Store, opts eventstore.SubscribeOptions) eventstore.Subscription {
	t.Helper()
	sub, err := s.SubscribeToAll(context.Background(), opts)
	if err != nil {
		t.Fatalf("SubscribeToAll: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func TestSubscribeCatchUpThenLive(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(5, "t.v1")...)
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	if got := commits(recvN(t, sub, 5)); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("catch-up positions %v", got)
	}
	go func() {
		time.Sleep(20 * time.Millisecond) // let Recv block first
		mustAppend(t, s, "user-2", eventstore.NoStream(), newEvents(3, "t.v1")...)
	}()
	if got := commits(recvN(t, sub, 3)); !slices.Equal(got, []uint64{6, 7, 8}) {
		t.Fatalf("live positions %v", got)
	}
}

func TestSubscribeStartsAfterPosition(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(5, "t.v1")...)
	tests := []struct {
		after eventstore.Position
		want  []uint64
	}{
		{eventstore.StartPosition, []uint64{1, 2, 3, 4, 5, 6}},
		{pos(3), []uint64{4, 5, 6}},
		{pos(5), []uint64{6}},
		{eventstore.EndPosition, []uint64{6}},
	}
	subs := make([]eventstore.Subscription, len(tests))
	for i, tt := range tests {
		subs[i] = subscribe(t, s, eventstore.SubscribeOptions{After: tt.after})
	}
	mustAppend(t, s, "user-1", eventstore.Exact(4), newEvents(1, "t.v1")...)
	for i, tt := range tests {
		if got := commits(recvN(t, subs[i], len(tt.want))); !slices.Equal(got, tt.want) {
			t.Errorf("after %+v: positions %v, want %v", tt.after, got, tt.want)
		}
	}
}

func TestSubscribeFiltersByPrefix(t *testing.T) {
	s := openStore(t)
	for i := range 3000 { // more than one page of non-matching events
		stream := []string{"auth-1", "user-1", "org-1", "auth-2"}[i%4]
		if i%4 != 1 && i%4 != 2 {
			mustAppend(t, s, stream, eventstore.Any(), newEvents(1, "t.v1")...)
		}
	}
	mustAppend(t, s, "user-1", eventstore.Any(), newEvents(2, "t.v1")...)
	mustAppend(t, s, "org-1", eventstore.Any(), newEvents(1, "t.v1")...)
	mustAppend(t, s, "auth-1", eventstore.Any(), newEvents(1, "t.v1")...)
	mustAppend(t, s, "user-2", eventstore.Any(), newEvents(1, "t.v1")...)

	sub := subscribe(t, s, eventstore.SubscribeOptions{Prefixes: []string{"user-", "org-"}})
	got := recvN(t, sub, 4)
	var streams []string
	for _, ev := range got {
		streams = append(streams, ev.Stream)
	}
	if want := []string{"user-1", "user-1", "org-1", "user-2"}; !slices.Equal(streams, want) {
		t.Fatalf("streams %v, want %v", streams, want)
	}
}

// Writers append concurrently while a subscription catches up and follows:
// it sees every event exactly once in position order, exactly as ReadAll.
func TestSubscribeUnderConcurrentWrites(t *testing.T) {
	s := openStore(t)
	for i := range 10 {
		mustAppend(t, s, fmt.Sprintf("user-%d", i), eventstore.NoStream(), newEvents(20, "t.v1")...)
	}
	const writers, perWriter = 8, 40
	total := 200 + writers*perWriter
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range perWriter {
				if _, err := s.Append(context.Background(), fmt.Sprintf("job-%d", w), eventstore.Any(), newEvents(1, "t.v1")...); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	got := recvN(t, sub, total)
	wg.Wait()
	if want := readAll(t, s); !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("subscription delivered %d events that differ from the log's %d", len(got), len(want))
	}
	for i, ev := range got {
		if ev.Position != pos(uint64(i+1)) {
			t.Fatalf("event %d at position %+v, want %d", i, ev.Position, i+1)
		}
	}
}

func TestSubscribeSkipsTombstonedStreams(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(2, "t.v1")...)
	mustAppend(t, s, "piikey-1", eventstore.NoStream(), newEvents(2, "t.v1")...)
	mustAppend(t, s, "user-2", eventstore.NoStream(), newEvents(1, "t.v1")...)
	if _, err := s.TombstoneStream(context.Background(), "piikey-1", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, s, eventstore.SubscribeOptions{})
	if got := commits(recvN(t, sub, 3)); !slices.Equal(got, []uint64{1, 2, 5}) {
		t.Fatalf("positions %v, want [1 2 5]", got)
	}
}

func TestSubscriptionEnds(t *testing.T) {
	tests := []struct {
		name string
		// end stops the subscription while Recv blocks.
		end     func(s eventstore.Store, sub eventstore.Subscription, cancel context.CancelFunc)
		wantErr error
	}{
		{"subscription closed", func(_ eventstore.Store, sub eventstore.Subscription, _ context.CancelFunc) { _ = sub.Close() }, eventstore.ErrClosed},
		{"store closed", func(s eventstore.Store, _ eventstore.Subscription, _ context.CancelFunc) { _ = s.Close() }, eventstore.ErrClosed},
		{"context canceled", func(_ eventstore.Store, _ eventstore.Subscription, cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			recvN(t, sub, 1)
			errc := make(chan error, 1)
			go func() {
				_, err := sub.Recv()
				errc <- err
			}()
			time.Sleep(20 * time.Millisecond)
			tt.end(s, sub, cancel)
			select {
			case err := <-errc:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("blocked Recv: %v, want %v", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Recv did not return")
			}
			if _, err := sub.Recv(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Recv afterwards: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSubscribeAfterCloseFails(t *testing.T) {
	s := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubscribeToAll(context.Background(), eventstore.SubscribeOptions{}); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestSubscriptionPrefixesAreCopied(t *testing.T) {
	s := openStore(t)
	prefixes := []string{"user-"}
	sub := subscribe(t, s, eventstore.SubscribeOptions{Prefixes: prefixes})
	prefixes[0] = "auth-"
	mustAppend(t, s, "auth-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
	if got := recvN(t, sub, 1); !strings.HasPrefix(got[0].Stream, "user-") {
		t.Fatalf("got event of %q", got[0].Stream)
	}
}
