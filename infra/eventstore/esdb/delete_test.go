package esdb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// TestDeleteWrongExpectedRevision checks that a Delete or Tombstone refused
// on its expected revision, which the client reports untyped, answers a
// *WrongExpectedRevisionError with the stream's actual revision, and leaves
// the stream alone.
func TestDeleteWrongExpectedRevision(t *testing.T) {
	s := connect(t, startServer(t).ConnString())
	ops := []struct {
		name string
		run  func(context.Context, string, eventstore.ExpectedRevision) (eventstore.Position, error)
	}{
		{"delete", s.DeleteStream},
		{"tombstone", s.TombstoneStream},
	}
	tests := []struct {
		name     string
		events   int
		expected eventstore.ExpectedRevision
		actual   int64
	}{
		{"stale exact revision", 3, eventstore.Exact(0), 2},
		{"future exact revision", 3, eventstore.Exact(9), 2},
		{"no stream on an existing stream", 1, eventstore.NoStream(), 0},
		{"stream exists on a missing stream", 0, eventstore.StreamExists(), eventstore.NoRevision},
	}
	for _, op := range ops {
		for _, tc := range tests {
			t.Run(op.name+"/"+tc.name, func(t *testing.T) {
				ctx := testContext(t)
				stream := newStream("wev")
				evs := newEvents(tc.events)
				if tc.events > 0 {
					mustAppend(t, s, stream, eventstore.NoStream(), evs...)
				}

				_, err := op.run(ctx, stream, tc.expected)
				var w *eventstore.WrongExpectedRevisionError
				if !errors.As(err, &w) {
					t.Fatalf("err = %v, want a *WrongExpectedRevisionError", err)
				}
				if w.Stream != stream || w.Actual != tc.actual || w.Expected != tc.expected {
					t.Fatalf("error says stream %q, expected %v, actual %d; want %q, %v, %d",
						w.Stream, w.Expected, w.Actual, stream, tc.expected, tc.actual)
				}

				got, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
				if tc.events == 0 {
					if !errors.Is(err, eventstore.ErrStreamNotFound) {
						t.Fatalf("read after the refused %s: err = %v, want ErrStreamNotFound", op.name, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("read after the refused %s: %v", op.name, err)
				}
				assertIDs(t, got, evs)
			})
		}
	}
}
