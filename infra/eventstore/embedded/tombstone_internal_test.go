package embedded

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/google/uuid"
	"go.etcd.io/bbolt"
)

// A tombstone removes the stream's records and index entries from the
// file's live data, keeping the positions of other events.
func TestTombstoneRemovesRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	secret := []byte("secret-key-material-0123456789")
	appendOne := func(stream string, data []byte) {
		t.Helper()
		ev := eventstore.EventData{ID: uuid.New(), Type: "t.v1", Data: data}
		if _, err := s.Append(ctx, stream, eventstore.Any(), ev); err != nil {
			t.Fatal(err)
		}
	}
	appendOne("user-1", []byte(`{}`))
	appendOne("piikey-1", secret)
	appendOne("piikey-1", secret)
	appendOne("user-1", []byte(`{}`))
	if _, err := s.TombstoneStream(ctx, "piikey-1", eventstore.Any()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(func(tx *bbolt.Tx) error {
		var keys []uint64
		err := tx.Bucket(bucketLog).ForEach(func(k, v []byte) error {
			keys = append(keys, decodeUint64(k))
			if bytes.Contains(v, secret) {
				t.Errorf("log record %d still holds the tombstoned data", decodeUint64(k))
			}
			return nil
		})
		if len(keys) != 2 || keys[0] != 1 || keys[1] != 4 {
			t.Errorf("log keys %v, want [1 4]", keys)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStreams).ForEach(func(k, v []byte) error {
			if _, ok := indexRevision(k, "piikey-1"); ok {
				t.Errorf("index entry %q survived the tombstone", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
