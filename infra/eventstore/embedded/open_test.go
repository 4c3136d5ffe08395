package embedded_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"go.etcd.io/bbolt"
)

func TestReopenKeepsEventsAndPositions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := embedded.Open(path, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := newEvents(3, "t.v1")
	mustAppend(t, s, "user-1", eventstore.NoStream(), first...)
	mustAppend(t, s, "gone", eventstore.NoStream(), newEvents(2, "t.v1")...)
	if _, err := s.TombstoneStream(context.Background(), "gone", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStoreAt(t, path)
	if got := ids(mustReadStream(t, s, "user-1", eventstore.ReadStreamOptions{})); !slices.Equal(got, dataIDs(first)) {
		t.Fatalf("reopened stream holds %v, want %v", got, dataIDs(first))
	}
	res := mustAppend(t, s, "user-1", eventstore.Exact(2), newEvents(1, "t.v1")...)
	if res.Position != pos(6) || res.NextRevision != 3 {
		t.Fatalf("append after reopen: %+v, want position 6 revision 3", res)
	}
	if _, err := s.ReadStream(context.Background(), "gone", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("tombstone lost on reopen: %v", err)
	}
}

func TestOpenLockedFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	openStoreAt(t, path)
	start := time.Now()
	_, err := embedded.Open(path, embedded.Options{OpenTimeout: 100 * time.Millisecond})
	if !errors.Is(err, embedded.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second Open: %v, want ErrLocked naming %s", err, path)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("second Open took %v", waited)
	}
}

// Open refuses files it did not write and leaves them byte for byte as
// they were.
func TestOpenRefusesForeignFiles(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"random bytes", func(t *testing.T, path string) {
			writeFile(t, path, randomBytes(t, 64<<10))
		}},
		{"short random bytes", func(t *testing.T, path string) {
			writeFile(t, path, randomBytes(t, 100))
		}},
		{"text", func(t *testing.T, path string) {
			writeFile(t, path, []byte(strings.Repeat("user,email\nalice,alice@example.org\n", 500)))
		}},
		{"bbolt database of someone else", func(t *testing.T, path string) {
			writeBolt(t, path, func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("settings"))
				if err != nil {
					return err
				}
				return b.Put([]byte("theme"), []byte("dark"))
			})
		}},
		{"empty bbolt database", func(t *testing.T, path string) {
			writeBolt(t, path, func(*bbolt.Tx) error { return nil })
		}},
		{"meta bucket without magic", func(t *testing.T, path string) {
			writeBolt(t, path, func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("meta"))
				if err != nil {
					return err
				}
				return b.Put([]byte("magic"), []byte("something else"))
			})
		}},
		{"newer format version", func(t *testing.T, path string) {
			s, err := embedded.Open(path, embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = db.Close() }()
			if err := db.Update(func(tx *bbolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte{0, 0, 0, 99})
			}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.db")
			tt.write(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := embedded.Open(path, embedded.Options{OpenTimeout: 100 * time.Millisecond})
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			t.Logf("Open: %v", err)
			if !errors.Is(err, embedded.ErrNotEventStore) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open: %v, want ErrNotEventStore naming %s", err, path)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("Open changed the file")
			}
		})
	}
}

func TestOpenCreatesStoreInEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	writeFile(t, path, nil)
	s := openStoreAt(t, path)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
}

func TestOpenRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts embedded.Options
	}{
		{"directory", dir, embedded.Options{}},
		{"missing parent directory", filepath.Join(dir, "no", "such", "events.db"), embedded.Options{}},
		{"negative timeout", filepath.Join(dir, "events.db"), embedded.Options{OpenTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := embedded.Open(tt.path, tt.opts)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

func TestOperationsAfterCloseFail(t *testing.T) {
	s := openStore(t)
	mustAppend(t, s, "user-1", eventstore.NoStream(), newEvents(1, "t.v1")...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["append"] = s.Append(ctx, "user-1", eventstore.Any(), newEvents(1, "t.v1")...)
	_, errs["read stream"] = s.ReadStream(ctx, "user-1", eventstore.ReadStreamOptions{})
	_, errs["read all"] = s.ReadAll(ctx, eventstore.ReadAllOptions{})
	_, errs["delete"] = s.DeleteStream(ctx, "user-1", eventstore.Any())
	_, errs["tombstone"] = s.TombstoneStream(ctx, "user-1", eventstore.Any())
	_, errs["set metadata"] = s.SetStreamMetadata(ctx, "user-1", eventstore.Any(), eventstore.StreamMetadata{})
	_, _, errs["metadata"] = s.StreamMetadata(ctx, "user-1")
	_, errs["last position"] = s.LastPosition(ctx)
	for op, err := range errs {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", op, err)
		}
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeBolt(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
