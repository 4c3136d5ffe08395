package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"go.etcd.io/bbolt"
)

var _ eventstore.Store = (*Store)(nil)

// Store is an event store in one bbolt file. All methods are safe for
// concurrent use. Writes are serialised through one writer goroutine that
// commits concurrent requests together; reads never wait for it.
type Store struct {
	db   *bbolt.DB
	path string
	log  *slog.Logger

	// requests feeds the writer goroutine.
	requests chan *request
	// closing is closed when Close starts: the writer stops taking
	// requests, subscriptions end.
	closing chan struct{}
	// writerDone is closed when the writer goroutine has returned.
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// seq is the last global position handed out. Only the writer
	// goroutine touches it after Open.
	seq uint64

	commitMu sync.Mutex
	// committed is closed and replaced after every commit that changed
	// the file, waking subscriptions.
	committed chan struct{}
}

// Close stops the writer after its in-flight batch, ends every subscription
// with eventstore.ErrClosed and closes the file. Requests still queued
// answer eventstore.ErrClosed and write nothing. Close is idempotent; later
// calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("close event store %s: %w", s.path, err)
		}
		s.log.Info("event store closed", "path", s.path)
	})
	return s.closeErr
}

// LastPosition returns the position of the newest event in the global log,
// or eventstore.StartPosition when the log is empty. Events of tombstoned
// streams do not count.
func (s *Store) LastPosition(ctx context.Context) (eventstore.Position, error) {
	var last uint64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketLog).Cursor().Last()
		if k != nil {
			last = decodeUint64(k)
		}
		return nil
	})
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("last position: %w", err)
	}
	return position(last), nil
}

// view runs fn in a read-only transaction, answering ErrClosed once the
// store is closing.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosing() {
		return eventstore.ErrClosed
	}
	err := s.db.View(fn)
	if errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		return eventstore.ErrClosed
	}
	return err
}

func (s *Store) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// commitSignal returns a channel that is closed after the next commit.
func (s *Store) commitSignal() <-chan struct{} {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	return s.committed
}

// broadcastCommit wakes everyone waiting on commitSignal.
func (s *Store) broadcastCommit() {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	close(s.committed)
	s.committed = make(chan struct{})
}
