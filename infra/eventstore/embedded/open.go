package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"go.etcd.io/bbolt"
)

// ErrNotEventStore is returned by Open for a file that exists but was not
// written by this package. Open never modifies such a file.
var ErrNotEventStore = errors.New("not an event store file")

// ErrLocked is returned by Open when another process (or another Store in
// this process) holds the file.
var ErrLocked = errors.New("event store file is locked")

// Open opens the event store in the file at path, creating the file if it
// does not exist or is empty. A file that exists but is not an event store
// of a supported format version is refused with an error wrapping
// ErrNotEventStore and left untouched; a file locked by another opener fails
// with ErrLocked after opts.OpenTimeout.
//
// The returned Store owns a writer goroutine until Close.
func Open(path string, opts Options) (*Store, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	fresh, err := checkFile(path, opts)
	if err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:        opts.OpenTimeout,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
		// Map 1 GiB of address space up front: growing the file then needs
		// no remap, which would stall every reader and the writer.
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		return nil, openError(path, opts, err)
	}
	seq, err := prepareFile(db, fresh)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	s := &Store{
		db:         db,
		path:       path,
		log:        opts.Logger,
		requests:   make(chan *request, requestQueueLen),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
		seq:        seq,
		committed:  make(chan struct{}),
	}
	go s.runWriter()
	s.log.Info("event store opened", "path", path, "created", fresh, "last_position", seq)
	return s, nil
}

// checkFile reports whether path is a new store (missing or empty). For an
// existing file it verifies, through a read-only open that cannot change a
// byte, that the file is an event store of a supported version.
func checkFile(path string, opts Options) (fresh bool, err error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("open event store %s: %w", path, err)
	case info.IsDir():
		return false, fmt.Errorf("open event store %s: %w: is a directory", path, ErrNotEventStore)
	case info.Size() == 0:
		return true, nil
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: opts.OpenTimeout})
	if err != nil {
		return false, openError(path, opts, err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(func(tx *bbolt.Tx) error {
		_, err := readHeader(tx)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("open event store %s: %w", path, err)
	}
	return false, nil
}

func openError(path string, opts Options, err error) error {
	switch {
	case errors.Is(err, bbolt.ErrTimeout):
		return fmt.Errorf("open event store %s: %w: another process holds it (waited %s)", path, ErrLocked, opts.OpenTimeout)
	case errors.Is(err, bbolt.ErrInvalid), errors.Is(err, bbolt.ErrChecksum), errors.Is(err, bbolt.ErrVersionMismatch):
		return fmt.Errorf("open event store %s: %w: not a bbolt database (%v)", path, ErrNotEventStore, err)
	default:
		return fmt.Errorf("open event store %s: %w", path, err)
	}
}

// prepareFile writes the buckets and header of a fresh file, or verifies
// those of an existing one, and returns the last position handed out.
func prepareFile(db *bbolt.DB, fresh bool) (uint64, error) {
	var seq uint64
	err := db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil && fresh && isEmpty(tx) {
			return initFile(tx)
		}
		var err error
		seq, err = readHeader(tx)
		return err
	})
	return seq, err
}

func isEmpty(tx *bbolt.Tx) bool {
	k, _ := tx.Cursor().First()
	return k == nil
}

func initFile(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return fmt.Errorf("create meta bucket: %w", err)
	}
	if _, err := tx.CreateBucket(bucketLog); err != nil {
		return fmt.Errorf("create log bucket: %w", err)
	}
	if _, err := tx.CreateBucket(bucketStreams); err != nil {
		return fmt.Errorf("create streams bucket: %w", err)
	}
	return errors.Join(
		meta.Put(keyMagic, []byte(magic)),
		meta.Put(keyVersion, binary.BigEndian.AppendUint32(nil, formatVersion)),
		meta.Put(keySeq, positionKey(nil, 0)),
	)
}

// readHeader verifies the magic and version of a file and returns its last
// handed-out position.
func readHeader(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil || !bytes.Equal(meta.Get(keyMagic), []byte(magic)) {
		return 0, fmt.Errorf("%w: a bbolt database without the event store header", ErrNotEventStore)
	}
	v := meta.Get(keyVersion)
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: malformed format version", ErrNotEventStore)
	}
	if version := binary.BigEndian.Uint32(v); version != formatVersion {
		return 0, fmt.Errorf("%w: format version %d, this build reads version %d", ErrNotEventStore, version, formatVersion)
	}
	if tx.Bucket(bucketLog) == nil || tx.Bucket(bucketStreams) == nil {
		return 0, fmt.Errorf("%w: buckets missing", ErrNotEventStore)
	}
	seq := meta.Get(keySeq)
	if len(seq) != 8 {
		return 0, fmt.Errorf("%w: malformed last position", ErrNotEventStore)
	}
	return decodeUint64(seq), nil
}

func decodeUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
