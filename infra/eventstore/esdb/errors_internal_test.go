package esdb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb/esdbtest"
)

// TestClientErrorsRecognisedWhenWrapped feeds real client errors, as the
// client returns them and wrapped further, to the classification. Some of
// them the client already wraps itself (Delete, Tombstone), which
// esdb.FromError reports as ErrorCodeUnknown.
func TestClientErrorsRecognisedWhenWrapped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := rawClient(t)
	live, tombstoned := "errs-"+uuid.NewString(), "errs-tomb-"+uuid.NewString()
	appendRaw := func(stream string, expected esdb.ExpectedRevision, n int) error {
		evs := make([]esdb.EventData, n)
		for i := range evs {
			evs[i] = esdb.EventData{EventID: uuid.New(), EventType: "t.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
		}
		_, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, evs...)
		return err
	}
	readRaw := func(stream string) error {
		rs, err := c.ReadStream(ctx, stream, esdb.ReadStreamOptions{}, 10)
		if err != nil {
			return err
		}
		defer rs.Close()
		_, err = rs.Recv()
		return err
	}
	if err := appendRaw(live, esdb.NoStream{}, 2); err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := appendRaw(tombstoned, esdb.NoStream{}, 1); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := c.TombstoneStream(ctx, tombstoned, esdb.TombstoneStreamOptions{}); err != nil {
		t.Fatalf("tombstone: %v", err)
	}

	const notWrong = -2 // the error is no failed concurrency check
	tests := []struct {
		name       string
		call       func() error
		wantActual int64 // the actual revision of a failed concurrency check
		wantPort   error // else the port's sentinel, if any
	}{
		{"append at a stale revision", func() error { return appendRaw(live, esdb.NoStream{}, 1) }, 1, nil},
		{"append to a new stream that should exist", func() error { return appendRaw("errs-new-"+uuid.NewString(), esdb.StreamExists{}, 1) }, eventstore.NoRevision, nil},
		{"delete at a stale revision", func() error {
			_, err := c.DeleteStream(ctx, live, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(0)})
			return err
		}, 1, nil},
		{"tombstone at a future revision", func() error {
			_, err := c.TombstoneStream(ctx, live, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Revision(7)})
			return err
		}, 1, nil},
		{"delete of a tombstoned stream", func() error {
			_, err := c.DeleteStream(ctx, tombstoned, esdb.DeleteStreamOptions{})
			return err
		}, notWrong, eventstore.ErrStreamDeleted},
		{"append to a tombstoned stream", func() error { return appendRaw(tombstoned, esdb.Any{}, 1) }, notWrong, eventstore.ErrStreamDeleted},
		{"read of a tombstoned stream", func() error { return readRaw(tombstoned) }, notWrong, eventstore.ErrStreamDeleted},
		{"read of a missing stream", func() error { return readRaw("errs-missing-" + uuid.NewString()) }, notWrong, eventstore.ErrStreamNotFound},
	}
	wraps := []struct {
		name string
		wrap func(error) error
	}{
		{"as returned", func(err error) error { return err }},
		{"wrapped once", func(err error) error { return fmt.Errorf("op: %w", err) }},
		{"wrapped twice", func(err error) error { return fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.call()
			if raw == nil {
				t.Fatal("the call succeeded")
			}
			for _, w := range wraps {
				err := w.wrap(raw)
				actual, known, ok := wrongExpectedRevision(err)
				switch {
				case tc.wantActual == notWrong && ok:
					t.Errorf("%s: %v taken for a failed concurrency check", w.name, err)
				case tc.wantActual != notWrong && (!ok || !known || actual != tc.wantActual):
					t.Errorf("%s: wrongExpectedRevision(%v) = %d, %v, %v; want %d, true, true", w.name, err, actual, known, ok, tc.wantActual)
				case tc.wantPort != nil && !errors.Is(portError(err), tc.wantPort):
					t.Errorf("%s: portError(%v) = %v, want %v", w.name, err, portError(err), tc.wantPort)
				}
			}
		})
	}
}

// TestConnectionClosedRecognised checks the error of a closed client.
func TestConnectionClosedRecognised(t *testing.T) {
	c := rawClient(t)
	_ = c.Close()
	_, err := c.AppendToStream(context.Background(), "s", esdb.AppendToStreamOptions{},
		esdb.EventData{EventID: uuid.New(), EventType: "t.v1"})
	if !isConnectionClosed(fmt.Errorf("op: %w", err)) {
		t.Fatalf("isConnectionClosed(%v) = false", err)
	}
	if isUnavailable(err) {
		t.Fatalf("isUnavailable(%v) = true", err)
	}
}

// rawClient returns a client of an esdbtest server over a fresh embedded
// store; all are closed when t ends.
func rawClient(t *testing.T) *esdb.Client {
	t.Helper()
	backend, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { _ = backend.Close() })
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
	return c
}
