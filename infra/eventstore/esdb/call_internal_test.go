package esdb

import (
	"errors"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// TestRunRecoversKnownClientPanics checks that the client's known panics
// become errors and that any other panic goes on.
func TestRunRecoversKnownClientPanics(t *testing.T) {
	tests := []struct {
		name      string
		op        func(*esdb.Client) error
		recovered bool
	}{
		{"send on a closed channel", func(*esdb.Client) error {
			ch := make(chan struct{})
			close(ch)
			ch <- struct{}{}
			return nil
		}, true},
		{"nil position in an answer", func(*esdb.Client) error {
			var p *esdb.Position
			_ = p.Commit
			return nil
		}, true},
		{"unexpected read message", func(*esdb.Client) error { panic("unreachable code") }, true},
		{"anything else", func(*esdb.Client) error { panic("boom") }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil && tc.recovered {
					t.Fatalf("panic %v went on", r)
				} else if r == nil && !tc.recovered {
					t.Fatal("panic was swallowed")
				}
			}()
			if err := run(nil, tc.op); !errors.Is(err, errClientPanic) {
				t.Fatalf("run = %v, want errClientPanic", err)
			}
		})
	}
}
