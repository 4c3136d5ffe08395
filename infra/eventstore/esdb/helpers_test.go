package esdb_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb/esdbtest"
	"github.com/clarynext/usermgmt/infra/eventstore/storetest"
)

// startServer starts an esdbtest server over a fresh embedded store in its
// own temporary directory; both are closed when t ends.
func startServer(t *testing.T) *esdbtest.Server {
	t.Helper()
	_, srv := startServerWithBackend(t)
	return srv
}

// startServerWithBackend is startServer that also returns the backend, to
// write to it while the server is stopped.
func startServerWithBackend(t *testing.T) (eventstore.Store, *esdbtest.Server) {
	t.Helper()
	backend, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { _ = backend.Close() })
	srv := esdbtest.NewServer(backend)
	if _, err := srv.Start(); err != nil {
		t.Fatalf("start esdbtest server: %v", err)
	}
	t.Cleanup(srv.Close)
	return backend, srv
}

// connect opens the adapter on connString; it is closed when t ends.
func connect(t *testing.T, connString string) *esdb.Store {
	t.Helper()
	return connectWith(t, connString, esdb.Options{})
}

// connectWith is connect with options; short resubscribe pauses are the
// default.
func connectWith(t *testing.T, connString string, opts esdb.Options) *esdb.Store {
	t.Helper()
	if opts.ResubscribeBackoff == 0 {
		opts.ResubscribeBackoff = 20 * time.Millisecond
		opts.ResubscribeMaxBackoff = 200 * time.Millisecond
	}
	s, err := esdb.New(testContext(t), connString, opts)
	if err != nil {
		t.Fatalf("connect to %s: %v", connString, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fastFailing makes the client give up a discovery after two quick
// attempts instead of ten, to keep the tests of an unreachable node short.
func fastFailing(connString string) string {
	return connString + "&maxDiscoverAttempts=2&discoveryInterval=10"
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newStream(kind string) string {
	return kind + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")
}

func newEvents(n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{
			ID:   uuid.New(),
			Type: "test.happened.v1",
			Data: fmt.Appendf(nil, `{"n":%d}`, i),
		}
	}
	return evs
}

func mustAppend(t *testing.T, s eventstore.Store, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(testContext(t), stream, expected, evs...)
	if err != nil {
		t.Fatalf("append to %q: %v", stream, err)
	}
	return res
}

// recvN receives n events, failing t if one takes more than 10s.
func recvN(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	got, err := storetest.Receive(sub, n)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func assertIDs(t *testing.T, got []eventstore.RecordedEvent, want []eventstore.EventData) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("event %d is %v, want %v", i, got[i].ID, want[i].ID)
		}
	}
}

// logCounter is a slog.Handler that counts the records whose message
// contains a given text, to check that a recovery path really ran.
type logCounter struct {
	text string
	n    *atomic.Int64
}

func newLogCounter(text string) logCounter {
	return logCounter{text: text, n: new(atomic.Int64)}
}

func (c logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c logCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, c.text) {
		c.n.Add(1)
	}
	return nil
}

func (c logCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c logCounter) WithGroup(string) slog.Handler      { return c }
func (c logCounter) count() int64                       { return c.n.Load() }
