package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb/esdbtest"
)

// TestPositions checks where reads and subscriptions of $all start
// relative to a given position, as EventStoreDB does: a forwards read
// includes it, a backwards read and a subscription start strictly beyond.
func TestPositions(t *testing.T) {
	c := start(t).client
	ctx := testContext(t)
	stream := "pos-" + uuid.NewString()
	ids := appendEvents(t, c, stream, 3)
	all := readAll(t, c, esdb.ReadAllOptions{}, 100)
	if len(all) != 3 {
		t.Fatalf("$all holds %d events, want 3", len(all))
	}
	middle := all[1].Position

	tests := []struct {
		name string
		got  func() []uuid.UUID
		want []uuid.UUID
	}{
		{"read forwards from a position", func() []uuid.UUID {
			return eventIDs(readAll(t, c, esdb.ReadAllOptions{From: middle}, 100))
		}, ids[1:]},
		{"read backwards from a position", func() []uuid.UUID {
			return eventIDs(readAll(t, c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: middle}, 100))
		}, ids[:1]},
		{"read backwards from the end", func() []uuid.UUID {
			return eventIDs(readAll(t, c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 2))
		}, []uuid.UUID{ids[2], ids[1]}},
		{"subscribe from a position", func() []uuid.UUID {
			sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: middle})
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			defer sub.Close()
			for {
				ev := sub.Recv()
				if ev.SubscriptionDropped != nil {
					t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
				}
				if ev.EventAppeared != nil {
					return []uuid.UUID{ev.EventAppeared.OriginalEvent().EventID}
				}
			}
		}, ids[2:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.got()
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestIdempotentRetryHasNoPosition checks that an append retried with the
// same event IDs succeeds without a position, as on EventStoreDB (the
// client reports zero).
func TestIdempotentRetryHasNoPosition(t *testing.T) {
	c := start(t).client
	ctx := testContext(t)
	stream := "idem-" + uuid.NewString()
	ev := esdb.EventData{EventID: uuid.New(), EventType: "t.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}
	first, err := c.AppendToStream(ctx, stream, opts, ev)
	if err != nil || first.CommitPosition == 0 {
		t.Fatalf("append = %+v, %v; want a position", first, err)
	}
	retry, err := c.AppendToStream(ctx, stream, opts, ev)
	if err != nil || retry.CommitPosition != 0 || retry.NextExpectedVersion != first.NextExpectedVersion {
		t.Fatalf("retry = %+v, %v; want revision %d and no position", retry, err, first.NextExpectedVersion)
	}
}

// TestEventsAsTheClientNeedsThem checks what the client decodes of a read
// event, "created" first: without it the client exits the process.
func TestEventsAsTheClientNeedsThem(t *testing.T) {
	c := start(t).client
	stream := "meta-" + uuid.NewString()
	before := time.Now()
	ids := appendEvents(t, c, stream, 1)
	rs, err := c.ReadStream(testContext(t), stream, esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	e := ev.OriginalEvent()
	switch {
	case e.EventID != ids[0], e.StreamID != stream, e.EventNumber != 0:
		t.Errorf("event %v of %q at %d, want %v of %q at 0", e.EventID, e.StreamID, e.EventNumber, ids[0], stream)
	case e.EventType != "t.v1", e.ContentType != "application/json":
		t.Errorf("type %q, content type %q", e.EventType, e.ContentType)
	case e.CreatedDate.Before(before.Add(-time.Second)) || e.CreatedDate.After(time.Now().Add(time.Second)):
		t.Errorf("created %v, want about %v", e.CreatedDate, before)
	case string(e.UserMetadata) != `{"m":1}`:
		t.Errorf("user metadata %q", e.UserMetadata)
	}
	if _, err := rs.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("second recv: %v, want EOF", err)
	}
}

// TestFilteredSubscriptionReportsProgress checks that a filtered
// subscription sends checkpoints and a caught-up notice besides events.
func TestFilteredSubscriptionReportsProgress(t *testing.T) {
	c := start(t).client
	wanted, other := "want-"+uuid.NewString(), "other-"+uuid.NewString()
	appendEvents(t, c, other, 40)
	ids := appendEvents(t, c, wanted, 2)
	sub, err := c.SubscribeToAll(testContext(t), esdb.SubscribeToAllOptions{
		From:   esdb.Start{},
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{wanted}},
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	var got []uuid.UUID
	checkpoints := 0
	for caughtUp := false; !caughtUp; {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		case ev.EventAppeared != nil:
			got = append(got, ev.EventAppeared.OriginalEvent().EventID)
		case ev.CheckPointReached != nil:
			checkpoints++
		case ev.CaughtUp != nil:
			caughtUp = true
		}
	}
	if len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Errorf("events %v, want %v", got, ids)
	}
	if checkpoints < 2 {
		t.Errorf("%d checkpoints for 42 events scanned, want one per 32 and one at the end", checkpoints)
	}
}

// TestStreamMetadata checks that the client's metadata calls, which use the
// stream "$$<stream>", reach the backend's stream metadata.
func TestStreamMetadata(t *testing.T) {
	f := start(t)
	c, backend := f.client, f.backend
	ctx := testContext(t)
	stream := "md-" + uuid.NewString()
	var m esdb.StreamMetadata
	m.SetMaxCount(3)
	m.SetMaxAge(time.Hour)
	m.SetTruncateBefore(1)
	if _, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, m); err != nil {
		t.Fatalf("set: %v", err)
	}
	got, rev, err := backend.StreamMetadata(ctx, stream)
	if err != nil || rev != 0 || got.MaxCount != 3 || got.MaxAge != time.Hour || got.TruncateBefore == nil || *got.TruncateBefore != 1 {
		t.Fatalf("backend metadata = %+v at %d, %v", got, rev, err)
	}
	back, err := c.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if back.MaxCount() == nil || *back.MaxCount() != 3 || back.MaxAge() == nil || *back.MaxAge() != time.Hour {
		t.Fatalf("client metadata = %+v", back)
	}
	if _, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, m); err == nil {
		t.Fatal("a metadata write at a stale revision succeeded")
	}
}

// TestFailureTrailers checks the statuses and trailers of failures that the
// client recognises by their trailers, read with a plain gRPC client.
func TestFailureTrailers(t *testing.T) {
	f := start(t)
	c := f.client
	ctx := testContext(t)
	live, dead := "live-"+uuid.NewString(), "dead-"+uuid.NewString()
	appendEvents(t, c, live, 2)
	appendEvents(t, c, dead, 1)
	if _, err := c.TombstoneStream(ctx, dead, esdb.TombstoneStreamOptions{}); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	streams := api.NewStreamsClient(f.dial(t))
	name := func(s string) *shared.StreamIdentifier { return &shared.StreamIdentifier{StreamName: []byte(s)} }

	tests := []struct {
		name     string
		call     func(opts ...grpc.CallOption) error
		code     codes.Code
		trailers map[string]string
	}{
		{"delete at a stale revision", func(opts ...grpc.CallOption) error {
			_, err := streams.Delete(ctx, &api.DeleteReq{Options: &api.DeleteReq_Options{
				StreamIdentifier:       name(live),
				ExpectedStreamRevision: &api.DeleteReq_Options_Revision{Revision: 0},
			}}, opts...)
			return err
		}, codes.FailedPrecondition, map[string]string{
			"exception": "wrong-expected-version", "stream-name": live, "expected-version": "0", "actual-version": "1",
		}},
		{"tombstone of a missing stream that should exist", func(opts ...grpc.CallOption) error {
			_, err := streams.Tombstone(ctx, &api.TombstoneReq{Options: &api.TombstoneReq_Options{
				StreamIdentifier:       name("missing-" + uuid.NewString()),
				ExpectedStreamRevision: &api.TombstoneReq_Options_StreamExists{StreamExists: &shared.Empty{}},
			}}, opts...)
			return err
		}, codes.FailedPrecondition, map[string]string{
			"exception": "wrong-expected-version", "expected-version": "-4", "actual-version": "-1",
		}},
		{"delete of a tombstoned stream", func(opts ...grpc.CallOption) error {
			_, err := streams.Delete(ctx, &api.DeleteReq{Options: &api.DeleteReq_Options{
				StreamIdentifier:       name(dead),
				ExpectedStreamRevision: &api.DeleteReq_Options_Any{Any: &shared.Empty{}},
			}}, opts...)
			return err
		}, codes.FailedPrecondition, map[string]string{"exception": "stream-deleted", "stream-name": dead}},
		{"read of a tombstoned stream", func(opts ...grpc.CallOption) error {
			rc, err := streams.Read(ctx, &api.ReadReq{Options: &api.ReadReq_Options{
				StreamOption: &api.ReadReq_Options_Stream{Stream: &api.ReadReq_Options_StreamOptions{
					StreamIdentifier: name(dead),
					RevisionOption:   &api.ReadReq_Options_StreamOptions_Start{Start: &shared.Empty{}},
				}},
				CountOption: &api.ReadReq_Options_Count{Count: 10},
			}}, opts...)
			if err != nil {
				return err
			}
			_, err = rc.Recv()
			return err
		}, codes.FailedPrecondition, map[string]string{"exception": "stream-deleted", "stream-name": dead}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var trailer metadata.MD
			err := tc.call(grpc.Trailer(&trailer))
			if status.Code(err) != tc.code {
				t.Fatalf("err = %v, want code %v", err, tc.code)
			}
			for k, want := range tc.trailers {
				if got := trailer.Get(k); len(got) != 1 || got[0] != want {
					t.Errorf("trailer %s = %v, want %q", k, got, want)
				}
			}
			if tc.trailers["exception"] == "wrong-expected-version" && !strings.Contains(status.Convert(err).Message(), "WrongExpectedVersion") {
				t.Errorf("message %q does not name WrongExpectedVersion", status.Convert(err).Message())
			}
		})
	}
}

// TestRestartOnTheSamePort checks that Stop and Start keep the address.
func TestRestartOnTheSamePort(t *testing.T) {
	srv := esdbtest.NewServer(openBackend(t))
	t.Cleanup(srv.Close)
	first, err := srv.Start()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	srv.Stop()
	second, err := srv.Start()
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if first != second || srv.ConnString() != first {
		t.Fatalf("connection strings %q, %q, %q differ", first, second, srv.ConnString())
	}
}

// --- helpers ---

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openBackend(t *testing.T) eventstore.Store {
	t.Helper()
	backend, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { _ = backend.Close() })
	return backend
}

// fixture is a server over a fresh embedded store and a client of it.
type fixture struct {
	client  *esdb.Client
	backend eventstore.Store
	addr    string
}

// start starts a fixture; all of it is closed when t ends.
func start(t *testing.T) fixture {
	t.Helper()
	backend := openBackend(t)
	srv := esdbtest.NewServer(backend)
	conn, err := srv.Start()
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(srv.Close)
	c, err := esdbtest.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return fixture{client: c, backend: backend, addr: srv.Addr()}
}

// dial opens a plain gRPC connection to the fixture's server.
func (f fixture) dial(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", f.addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func appendEvents(t *testing.T, c *esdb.Client, stream string, n int) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, n)
	evs := make([]esdb.EventData, n)
	for i := range evs {
		ids[i] = uuid.New()
		evs[i] = esdb.EventData{EventID: ids[i], EventType: "t.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`), Metadata: []byte(`{"m":1}`)}
	}
	if _, err := c.AppendToStream(testContext(t), stream, esdb.AppendToStreamOptions{}, evs...); err != nil {
		t.Fatalf("append to %q: %v", stream, err)
	}
	return ids
}

func readAll(t *testing.T, c *esdb.Client, opts esdb.ReadAllOptions, count uint64) []*esdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(testContext(t), opts, count)
	if err != nil {
		t.Fatalf("read $all: %v", err)
	}
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read $all: %v", err)
		}
		out = append(out, ev.OriginalEvent())
	}
}

func eventIDs(evs []*esdb.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.EventID
	}
	return out
}
