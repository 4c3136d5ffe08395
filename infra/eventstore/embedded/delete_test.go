package embedded_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

func TestDeleteStreamThenRecreate(t *testing.T) {
	for _, recreate := range []eventstore.ExpectedRevision{eventstore.Any(), eventstore.NoStream()} {
		t.Run(recreate.String(), func(t *testing.T) {
			s := openStore(t)
			ctx := context.Background()
			mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(3, "t.v1")...)
			last, err := s.LastPosition(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.DeleteStream(ctx, "user-1", eventstore.Exact(2))
			if err != nil {
				t.Fatalf("DeleteStream: %v", err)
			}
			if p != last {
				t.Fatalf("DeleteStream returned %+v, want the last position %+v", p, last)
			}
			if _, err := s.ReadStream(ctx, "user-1", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatalf("read after delete: %v, want ErrStreamNotFound", err)
			}

			res := mustAppend(t, s, "user-1", recreate, newEvents(2, "t.v1")...)
			if res.NextRevision != 4 {
				t.Fatalf("recreated stream: NextRevision %d, want 4 (revisions continue)", res.NextRevision)
			}
			got := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})
			if !slices.Equal(revisions(got), []uint64{3, 4}) {
				t.Fatalf("recreated stream shows revisions %v, want [3 4]", revisions(got))
			}
			back := mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End})
			if !slices.Equal(revisions(back), []uint64{4, 3}) {
				t.Fatalf("backwards read shows revisions %v, want [4 3]", revisions(back))
			}
			mustAppend(t, s, "user-1", eventstore.Exact(4), newEvents(1, "t.v1")...)
		})
	}
}

func TestDeleteAndTombstoneExpectedRevision(t *testing.T) {
	type del func(context.Context, eventstore.Store, string, eventstore.ExpectedRevision) (eventstore.Position, error)
	soft := func(ctx context.Context, s eventstore.Store, stream string, exp eventstore.ExpectedRevision) (eventstore.Position, error) {
		return s.DeleteStream(ctx, stream, exp)
	}
	hard := func(ctx context.Context, s eventstore.Store, stream string, exp eventstore.ExpectedRevision) (eventstore.Position, error) {
		return s.TombstoneStream(ctx, stream, exp)
	}
	tests := []struct {
		name     string
		del      del
		events   int
		expected eventstore.ExpectedRevision
		wantErr  bool
	}{
		{"delete exact match", soft, 2, eventstore.Exact(1), false},
		{"delete exact mismatch", soft, 2, eventstore.Exact(0), true},
		{"delete stream exists on missing", soft, 0, eventstore.StreamExists(), true},
		{"delete no stream on existing", soft, 2, eventstore.NoStream(), true},
		{"delete any on missing", soft, 0, eventstore.Any(), false},
		{"tombstone exact match", hard, 2, eventstore.Exact(1), false},
		{"tombstone exact mismatch", hard, 2, eventstore.Exact(3), true},
		{"tombstone no stream on missing", hard, 0, eventstore.NoStream(), false},
		{"tombstone stream exists on missing", hard, 0, eventstore.StreamExists(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if tt.events > 0 {
				mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(tt.events, "t.v1")...)
			}
			_, err := tt.del(context.Background(), s, "user-1", tt.expected)
			if got := eventstore.IsWrongExpectedRevision(err); got != tt.wantErr || (err != nil && !got) {
				t.Fatalf("err = %v, want WrongExpectedRevisionError: %t", err, tt.wantErr)
			}
			if tt.wantErr && tt.events > 0 {
				if n := len(mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})); n != tt.events {
					t.Fatalf("rejected delete left %d events, want %d", n, tt.events)
				}
			}
		})
	}
}

func TestTombstoneIsForever(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, "piikey-1", eventstore.NoStream(), newEvents(2, "key.v1")...)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
	if _, err := s.TombstoneStream(ctx, "piikey-1", eventstore.StreamExists()); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, checks["read"] = s.ReadStream(ctx, "piikey-1", eventstore.ReadStreamOptions{})
	_, checks["append any"] = s.Append(ctx, "piikey-1", eventstore.Any(), newEvents(1, "t.v1")...)
	_, checks["append no stream"] = s.Append(ctx, "piikey-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
	_, checks["delete"] = s.DeleteStream(ctx, "piikey-1", eventstore.Any())
	_, checks["tombstone"] = s.TombstoneStream(ctx, "piikey-1", eventstore.Any())
	_, checks["set metadata"] = s.SetStreamMetadata(ctx, "piikey-1", eventstore.Any(), eventstore.StreamMetadata{})
	_, _, checks["metadata"] = s.StreamMetadata(ctx, "piikey-1")
	for op, err := range checks {
		if !errors.Is(err, eventstore.ErrStreamDeleted) {
			t.Errorf("%s: err = %v, want ErrStreamDeleted", op, err)
		}
	}
	if all := readAll(t, s); len(all) != 1 || all[0].Stream != "user-1" || all[0].Position != pos(3) {
		t.Fatalf("log after tombstone: %+v, want only user-1's event at position 3", all)
	}
	// Positions continue after the removed events.
	if res := mustAppend(t, s, "user-1", eventstore.Exact(0), newEvents(1, "t.v1")...); res.Position != pos(4) {
		t.Fatalf("next append at %+v, want %+v", res.Position, pos(4))
	}
}
