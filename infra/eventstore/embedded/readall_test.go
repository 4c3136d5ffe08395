package embedded_test

import (
	"context"
	"slices"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

func TestReadAllPages(t *testing.T) {
	s := openStore(t)
	for _, stream := range []string{"a", "b", "c"} {
		mustAppend(t, s, stream, eventstore.NoStream(), newEvents(2, "t.v1")...)
	}
	back := eventstore.Backwards
	tests := []struct {
		name string
		opts eventstore.ReadAllOptions
		want []uint64
	}{
		{"forwards from the start", eventstore.ReadAllOptions{}, []uint64{1, 2, 3, 4, 5, 6}},
		{"forwards from 3 with max", eventstore.ReadAllOptions{From: pos(3), Max: 2}, []uint64{3, 4}},
		{"forwards from the last", eventstore.ReadAllOptions{From: pos(6)}, []uint64{6}},
		{"forwards past the end", eventstore.ReadAllOptions{From: pos(7)}, []uint64{}},
		{"forwards from the end position", eventstore.ReadAllOptions{From: eventstore.EndPosition}, []uint64{}},
		{"backwards from the end", eventstore.ReadAllOptions{Direction: back, From: eventstore.EndPosition}, []uint64{6, 5, 4, 3, 2, 1}},
		{"backwards from 4 with max", eventstore.ReadAllOptions{Direction: back, From: pos(4), Max: 2}, []uint64{4, 3}},
		{"backwards from past the end", eventstore.ReadAllOptions{Direction: back, From: pos(100), Max: 2}, []uint64{6, 5}},
		{"backwards from the start", eventstore.ReadAllOptions{Direction: back, From: eventstore.StartPosition}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ReadAll(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(commits(got), tt.want) {
				t.Fatalf("positions %v, want %v", commits(got), tt.want)
			}
		})
	}
}

func TestReadAllAfterDeletes(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for _, stream := range []string{"soft", "hard", "kept"} {
		mustAppend(t, s, stream, eventstore.NoStream(), newEvents(2, "t.v1")...)
	}
	if _, err := s.DeleteStream(ctx, "soft", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TombstoneStream(ctx, "hard", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, "kept", eventstore.Exact(1), newEvents(1, "t.v1")...)

	all := readAll(t, s)
	if want := []uint64{1, 2, 5, 6, 7}; !slices.Equal(commits(all), want) {
		t.Fatalf("positions %v, want %v (soft-deleted events stay, tombstoned ones go)", commits(all), want)
	}
	back, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: pos(4)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{2, 1}; !slices.Equal(commits(back), want) {
		t.Fatalf("backwards from a deleted position: %v, want %v", commits(back), want)
	}
	last, err := s.LastPosition(ctx)
	if err != nil || last != pos(7) {
		t.Fatalf("LastPosition = %+v, %v; want %+v", last, err, pos(7))
	}
}

func TestLastPosition(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if last, err := s.LastPosition(ctx); err != nil || last != eventstore.StartPosition {
		t.Fatalf("empty store: LastPosition = %+v, %v; want StartPosition", last, err)
	}
	res := mustAppend(t, s, "a", eventstore.NoStream(), newEvents(3, "t.v1")...)
	if last, err := s.LastPosition(ctx); err != nil || last != res.Position {
		t.Fatalf("LastPosition = %+v, %v; want %+v", last, err, res.Position)
	}
}
