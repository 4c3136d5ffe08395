package commands

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

// authStreams opens an embedded store in the test's directory and the
// streams of auth events over it.
func authStreams(t *testing.T) (*embedded.Store, streams) {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	codec, err := domain.NewCodec(auth.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	return store, streams{store: store, codec: codec, now: time.Now}
}

// TestLoadSince reads back to the last fresh start across pages, and
// everything when there is none.
func TestLoadSince(t *testing.T) {
	_, s := authStreams(t)
	ctx := context.Background()
	id := uuid.New()
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	fail := func(i int) domain.Event {
		return auth.LoginFailed{UserID: id, At: at.Add(time.Duration(i) * time.Second), Reason: auth.ReasonWrongPassword}
	}
	var history []domain.Event
	for i := range 150 {
		history = append(history, fail(i))
	}
	if _, err := s.append(ctx, auth.Stream(id), expectedAt(-1), System("t"), history); err != nil {
		t.Fatal(err)
	}
	// No fresh start: the whole stream, oldest first.
	got, rev, err := s.loadSince(ctx, auth.Stream(id), auth.StartsAfresh)
	if err != nil || rev != 149 || len(got) != 150 || got[0] != history[0] || got[149] != history[149] {
		t.Fatalf("no fresh start: %d events, revision %d, %v", len(got), rev, err)
	}
	// A success at revision 150, then 100 more failures (two pages back).
	more := []domain.Event{auth.LoginSucceeded{UserID: id, At: at.Add(time.Hour)}}
	for i := range 100 {
		more = append(more, fail(200+i))
	}
	if _, err := s.append(ctx, auth.Stream(id), expectedAt(149), System("t"), more); err != nil {
		t.Fatal(err)
	}
	got, rev, err = s.loadSince(ctx, auth.Stream(id), auth.StartsAfresh)
	if err != nil || rev != 250 || len(got) != 101 || got[0] != more[0] || got[100] != more[100] {
		t.Fatalf("after a success: %d events, revision %d, %v", len(got), rev, err)
	}
	// A stream that does not exist.
	got, rev, err = s.loadSince(ctx, auth.Stream(uuid.New()), auth.StartsAfresh)
	if err != nil || rev != -1 || len(got) != 0 {
		t.Fatalf("no stream: %v %d %v", got, rev, err)
	}
}

// TestRevision answers what load answers, across pages, without decoding.
func TestRevision(t *testing.T) {
	store, s := authStreams(t)
	ctx := context.Background()
	id := uuid.New()
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	expected := int64(-1)
	for _, n := range []int{0, 1, 2, 700} {
		if n > 0 {
			var events []domain.Event
			for i := range n {
				events = append(events, auth.LoginFailed{UserID: id, At: at.Add(time.Duration(i) * time.Second), Reason: auth.ReasonWrongPassword})
			}
			if _, err := s.append(ctx, auth.Stream(id), expectedAt(expected), System("t"), events); err != nil {
				t.Fatal(err)
			}
		}
		rev, err := s.revision(ctx, auth.Stream(id))
		_, loaded, loadErr := s.load(ctx, auth.Stream(id))
		if err != nil || loadErr != nil || rev != loaded {
			t.Fatalf("after %d more events: revision %d (%v), load says %d (%v)", n, rev, err, loaded, loadErr)
		}
		expected = rev
	}
	if expected != 702 {
		t.Fatalf("final revision %d, want 702", expected)
	}
	// Soft-deleted: no revision, as load says; tombstoned: the error load
	// gives.
	if _, err := store.DeleteStream(ctx, auth.Stream(id), eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	rev, err := s.revision(ctx, auth.Stream(id))
	_, loaded, loadErr := s.load(ctx, auth.Stream(id))
	if err != nil || loadErr != nil || rev != eventstore.NoRevision || loaded != eventstore.NoRevision {
		t.Fatalf("soft-deleted: revision %d (%v), load %d (%v); want NoRevision from both", rev, err, loaded, loadErr)
	}
	if _, err := store.TombstoneStream(ctx, auth.Stream(id), eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	_, err = s.revision(ctx, auth.Stream(id))
	_, _, loadErr = s.load(ctx, auth.Stream(id))
	if !errors.Is(err, eventstore.ErrStreamDeleted) || !errors.Is(loadErr, eventstore.ErrStreamDeleted) {
		t.Fatalf("tombstoned: revision %v, load %v; want ErrStreamDeleted from both", err, loadErr)
	}
}
