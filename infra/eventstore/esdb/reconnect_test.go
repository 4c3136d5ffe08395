package esdb_test

import (
	"log/slog"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb"
	"github.com/clarynext/usermgmt/infra/eventstore/storetest"
)

// TestClientReplacedAfterUnreachableNode stops the server so that calls
// fail and the client's rediscovery fails too, which closes the client for
// good (the failed append guarantees it; a failed read alone may not start
// a rediscovery). Once the server listens again on the same port, the next
// calls must succeed on a new client.
func TestClientReplacedAfterUnreachableNode(t *testing.T) {
	srv := startServer(t)
	replaced := newLogCounter("replaced it")
	s := connectWith(t, fastFailing(srv.ConnString()), esdb.Options{Logger: slog.New(replaced)})
	ctx := testContext(t)
	stream := newStream("reconnect")
	first := newEvents(1)
	mustAppend(t, s, stream, eventstore.NoStream(), first...)

	srv.Stop()
	if _, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}); err == nil {
		t.Fatal("read succeeded while the server was stopped")
	}
	if _, err := s.Append(ctx, stream, eventstore.Exact(0), newEvents(1)...); err == nil {
		t.Fatal("append succeeded while the server was stopped")
	}

	if _, err := srv.Start(); err != nil {
		t.Fatalf("restart the server: %v", err)
	}
	got, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatalf("read after the restart: %v", err)
	}
	assertIDs(t, got, first)
	mustAppend(t, s, stream, eventstore.Exact(0), newEvents(1)...)
	if replaced.count() == 0 {
		t.Error("the client was never replaced: the test did not reach the closed-client path")
	}
}

// TestSubscriptionSurvivesServerRestart checks that a subscription rides
// over a stopped server: it resumes, on a new client, after the last event
// it delivered, and misses nothing written meanwhile.
func TestSubscriptionSurvivesServerRestart(t *testing.T) {
	backend, srv := startServerWithBackend(t)
	replaced := newLogCounter("replaced it")
	s := connectWith(t, fastFailing(srv.ConnString()), esdb.Options{Logger: slog.New(replaced)})
	ctx := testContext(t)
	stream := newStream("restart")
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{Prefixes: []string{stream}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()

	before, during, after := newEvents(2), newEvents(2), newEvents(1)
	mustAppend(t, s, stream, eventstore.NoStream(), before...)
	got := recvN(t, sub, len(before))

	srv.Stop()
	// A failed append while the server is away makes the client rediscover
	// the node, fail, and close itself for good. (A failed read would not:
	// the client returns the error of opening a read stream without
	// starting a rediscovery.)
	if _, err := s.Append(ctx, stream, eventstore.Exact(1), newEvents(1)...); err == nil {
		t.Fatal("append succeeded while the server was stopped")
	}
	mustAppend(t, backend, stream, eventstore.Exact(1), during...)
	if _, err := srv.Start(); err != nil {
		t.Fatalf("restart the server: %v", err)
	}
	mustAppend(t, s, stream, eventstore.Exact(3), after...)

	got = append(got, recvN(t, sub, len(during)+len(after))...)
	assertIDs(t, got, append(append(before, during...), after...))
	storetest.AssertNothingMore(t, sub)
	if replaced.count() == 0 {
		t.Error("the client was never replaced: the test did not reach the closed-client path")
	}
}
