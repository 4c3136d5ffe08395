package esdb_test

import (
	"errors"
	"os"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/storetest"
)

// TestContract runs the contract suite against the adapter connected to the
// in-process server over the embedded store, one fresh server and store per
// test, and against a real EventStoreDB when ESDB_URL names one.
func TestContract(t *testing.T) {
	t.Run("esdbtest", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			return connect(t, startServer(t).ConnString())
		})
	})
	t.Run("EventStoreDB", func(t *testing.T) {
		url := os.Getenv("ESDB_URL")
		if url == "" {
			t.Skip("ESDB_URL not set: skipping the contract suite against a real EventStoreDB")
		}
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			return connect(t, url)
		})
	})
}

// TestClosedStore checks that every call after Close answers ErrClosed and
// that an open subscription ends with it.
func TestClosedStore(t *testing.T) {
	s := connect(t, startServer(t).ConnString())
	ctx := testContext(t)
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{Prefixes: []string{newStream("closed")}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	recvErr := make(chan error, 1)
	go func() {
		_, err := sub.Recv()
		recvErr <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-recvErr; !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("pending Recv: err = %v, want ErrClosed", err)
	}

	stream := newStream("closed")
	calls := []struct {
		name string
		call func() error
	}{
		{"append", func() error { _, err := s.Append(ctx, stream, eventstore.Any(), newEvents(1)...); return err }},
		{"read stream", func() error { _, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}); return err }},
		{"read all", func() error { _, err := s.ReadAll(ctx, eventstore.ReadAllOptions{}); return err }},
		{"subscribe", func() error { _, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{}); return err }},
		{"delete", func() error { _, err := s.DeleteStream(ctx, stream, eventstore.Any()); return err }},
		{"tombstone", func() error { _, err := s.TombstoneStream(ctx, stream, eventstore.Any()); return err }},
		{"set metadata", func() error {
			_, err := s.SetStreamMetadata(ctx, stream, eventstore.Any(), eventstore.StreamMetadata{})
			return err
		}},
		{"metadata", func() error { _, _, err := s.StreamMetadata(ctx, stream); return err }},
	}
	for _, tc := range calls {
		if err := tc.call(); !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", tc.name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
