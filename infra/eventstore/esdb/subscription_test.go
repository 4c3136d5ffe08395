package esdb_test

import (
	"log/slog"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb"
	"github.com/clarynext/usermgmt/infra/eventstore/storetest"
)

// TestSubscriptionResumesAfterDrop has the server drop the subscription at
// various moments and checks that Recv still delivers every event exactly
// once, in order.
func TestSubscriptionResumesAfterDrop(t *testing.T) {
	type step struct {
		append int  // events to append
		recv   int  // events to receive
		drop   bool // drop every active subscription
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"drop while idle", []step{{append: 3}, {recv: 3}, {drop: true}, {append: 3}, {recv: 3}}},
		{"drop with events not yet received", []step{{append: 5}, {recv: 2}, {drop: true}, {append: 2}, {recv: 5}}},
		{"drops in a row", []step{{append: 2}, {recv: 1}, {drop: true}, {drop: true}, {append: 2}, {drop: true}, {recv: 3}}},
		{"drop before the first event", []step{{drop: true}, {append: 3}, {recv: 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			resumed := newLogCounter("; resuming")
			s := connectWith(t, srv.ConnString(), esdb.Options{Logger: slog.New(resumed)})
			stream := newStream("drop")
			sub, err := s.SubscribeToAll(testContext(t), eventstore.SubscribeOptions{Prefixes: []string{stream}})
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			defer sub.Close()

			var want []eventstore.EventData
			var got []eventstore.RecordedEvent
			for _, st := range tc.steps {
				switch {
				case st.append > 0:
					evs := newEvents(st.append)
					mustAppend(t, s, stream, eventstore.Any(), evs...)
					want = append(want, evs...)
				case st.recv > 0:
					got = append(got, recvN(t, sub, st.recv)...)
				case st.drop:
					srv.DropSubscriptions()
				}
			}
			assertIDs(t, got, want)
			storetest.AssertNothingMore(t, sub)
			if resumed.count() == 0 {
				t.Error("the subscription was never resumed: the drop did not happen")
			}
		})
	}
}

// TestSubscribeWithoutPrefixes checks that a subscription without prefixes
// delivers the events of every stream, from the start and live.
func TestSubscribeWithoutPrefixes(t *testing.T) {
	s := connect(t, startServer(t).ConnString())
	a, b := newEvents(2), newEvents(2)
	mustAppend(t, s, newStream("a"), eventstore.NoStream(), a...)
	sub, err := s.SubscribeToAll(testContext(t), eventstore.SubscribeOptions{})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	mustAppend(t, s, newStream("b"), eventstore.NoStream(), b...)
	assertIDs(t, recvN(t, sub, 4), append(a, b...))
	storetest.AssertNothingMore(t, sub)
}
