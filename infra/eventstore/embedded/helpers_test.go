package embedded_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/google/uuid"
)

// openStore opens a store in a fresh file that is closed when the test ends.
func openStore(t testing.TB) *embedded.Store {
	t.Helper()
	return openStoreAt(t, filepath.Join(t.TempDir(), "events.db"))
}

// openStoreAt opens the store at path and closes it when the test ends.
func openStoreAt(t testing.TB, path string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path, embedded.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newEvents returns n events of the given type with random IDs.
func newEvents(n int, typ string) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{
			ID:   uuid.New(),
			Type: typ,
			Data: fmt.Appendf(nil, `{"n":%d}`, i),
		}
	}
	return evs
}

func mustAppend(t testing.TB, s eventstore.Store, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, expected, evs...)
	if err != nil {
		t.Fatalf("Append(%q, %s): %v", stream, expected, err)
	}
	return res
}

func mustReadStream(t testing.TB, s eventstore.Store, stream string, opts eventstore.ReadStreamOptions) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, opts)
	if err != nil {
		t.Fatalf("ReadStream(%q, %+v): %v", stream, opts, err)
	}
	return evs
}

// readAll reads the whole global log forwards.
func readAll(t testing.TB, s eventstore.Store) []eventstore.RecordedEvent {
	t.Helper()
	var all []eventstore.RecordedEvent
	from := eventstore.StartPosition
	for {
		page, err := s.ReadAll(context.Background(), eventstore.ReadAllOptions{From: from, Max: 1000})
		if err != nil {
			t.Fatalf("ReadAll(%+v): %v", from, err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			return all
		}
		last := page[len(page)-1].Position
		from = eventstore.Position{Commit: last.Commit + 1, Prepare: last.Prepare + 1}
	}
}

func ids(evs []eventstore.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

func dataIDs(evs []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

func revisions(evs []eventstore.RecordedEvent) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Revision
	}
	return out
}

func commits(evs []eventstore.RecordedEvent) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Position.Commit
	}
	return out
}

func pos(n uint64) eventstore.Position { return eventstore.Position{Commit: n, Prepare: n} }
