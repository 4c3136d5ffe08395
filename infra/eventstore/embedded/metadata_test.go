package embedded_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

func TestStreamMetadataRevisions(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if _, _, err := s.StreamMetadata(ctx, "user-1"); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("metadata before any write: %v, want ErrStreamNotFound", err)
	}
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(3, "t.v1")...)
	if _, _, err := s.StreamMetadata(ctx, "user-1"); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("metadata of a stream with events but no metadata: %v, want ErrStreamNotFound", err)
	}

	tb := uint64(1)
	steps := []struct {
		expected eventstore.ExpectedRevision
		meta     eventstore.StreamMetadata
		wantRev  uint64
		wantErr  bool
	}{
		{eventstore.StreamExists(), eventstore.StreamMetadata{MaxCount: 1}, 0, true},
		{eventstore.Exact(0), eventstore.StreamMetadata{MaxCount: 1}, 0, true},
		{eventstore.NoStream(), eventstore.StreamMetadata{MaxCount: 10}, 0, false},
		{eventstore.NoStream(), eventstore.StreamMetadata{MaxCount: 11}, 0, true},
		{eventstore.Exact(0), eventstore.StreamMetadata{MaxAge: time.Hour, TruncateBefore: &tb}, 1, false},
		{eventstore.StreamExists(), eventstore.StreamMetadata{MaxAge: 2 * time.Hour, MaxCount: 5, TruncateBefore: &tb}, 2, false},
		{eventstore.Any(), eventstore.StreamMetadata{MaxCount: 7}, 3, false},
	}
	var (
		want    eventstore.StreamMetadata
		wantRev uint64
		set     bool
	)
	for i, st := range steps {
		res, err := s.SetStreamMetadata(ctx, "user-1", st.expected, st.meta)
		if st.wantErr {
			if !eventstore.IsWrongExpectedRevision(err) {
				t.Fatalf("step %d: err = %v, want WrongExpectedRevisionError", i, err)
			}
		} else {
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if res.NextRevision != st.wantRev {
				t.Fatalf("step %d: metadata revision %d, want %d", i, res.NextRevision, st.wantRev)
			}
			want, wantRev, set = st.meta, st.wantRev, true
		}
		got, rev, err := s.StreamMetadata(ctx, "user-1")
		if !set {
			if !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatalf("step %d: StreamMetadata err = %v, want ErrStreamNotFound", i, err)
			}
			continue
		}
		if err != nil || rev != wantRev || !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: StreamMetadata = %+v, %d, %v; want %+v, %d", i, got, rev, err, want, wantRev)
		}
	}
	// The stream's own revisions are unaffected.
	if res := mustAppend(t, s, "user-1", eventstore.Exact(2), newEvents(1, "t.v1")...); res.NextRevision != 3 {
		t.Fatalf("append after metadata writes: NextRevision %d, want 3", res.NextRevision)
	}
}

func TestStreamMetadataSurvivesSoftDelete(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
	meta := eventstore.StreamMetadata{MaxCount: 4}
	if _, err := s.SetStreamMetadata(ctx, "user-1", eventstore.NoStream(), meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteStream(ctx, "user-1", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	got, rev, err := s.StreamMetadata(ctx, "user-1")
	if err != nil || rev != 0 || got != meta {
		t.Fatalf("StreamMetadata after soft delete = %+v, %d, %v; want %+v, 0", got, rev, err, meta)
	}
}
