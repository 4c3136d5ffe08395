// Package esdb implements eventstore.Store on EventStoreDB through its gRPC
// client (github.com/EventStore/EventStore-Client-Go/v4/esdb).
//
// The adapter hides the client's rough edges behind the port's contract:
//   - client errors are classified with errors.As, never with esdb.FromError,
//     which reports a wrapped client error as "unknown";
//   - a wrong expected revision on DeleteStream and TombstoneStream reaches
//     the client as an untyped FailedPrecondition status and is recognised
//     from it;
//   - the client closes itself for good after one failed discovery; the
//     adapter then replaces it and retries the call once;
//   - subscriptions resume by themselves after a drop, from the last
//     position seen, so Recv never repeats or skips an event;
//   - EventStoreDB's own events (types starting with "$": metadata,
//     tombstone markers, statistics, links) never reach the caller.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// Store is an eventstore.Store backed by EventStoreDB. It is safe for
// concurrent use.
type Store struct {
	config esdb.Configuration // each client gets its own copy
	log    *slog.Logger
	opts   Options

	// ctx is cancelled by Close; subscriptions end with it.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards client and closed
	client *esdb.Client
	closed bool
}

// New connects to the EventStoreDB named by connString (for example
// "esdb://127.0.0.1:2113?tls=false") and checks that it answers a read of
// the global log within ctx.
func New(ctx context.Context, connString string, opts Options) (*Store, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("esdb: options: %w", err)
	}
	config, err := esdb.ParseConnectionString(connString)
	if err != nil {
		// A *url.Error quotes the whole string, credentials included.
		if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("esdb: parse connection string: %w", err)
	}
	config.Logger = clientLogger(opts.Logger)
	client, err := esdb.NewClient(config)
	if err != nil {
		return nil, fmt.Errorf("esdb: new client: %w", err)
	}
	storeCtx, cancel := context.WithCancel(context.Background())
	s := &Store{
		config: *config,
		log:    opts.Logger,
		opts:   opts,
		ctx:    storeCtx,
		cancel: cancel,
		client: client,
	}
	if _, err := s.lastPosition(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("esdb: connect: %w", err)
	}
	return s, nil
}

// Close closes the client. Calls in flight fail, later calls answer
// eventstore.ErrClosed and subscriptions end with it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.cancel()
	return s.client.Close()
}

// current returns the client in use.
func (s *Store) current() (*esdb.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	return s.client, nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// replace swaps a client that has closed itself for a new one, unless
// another call has done so already, and returns the client now in use.
//
// The old client is closed too: that frees calls stuck inside it on a send
// to its state machine, which has stopped reading (they panic on the closed
// channel, and run recovers the panic into an error).
func (s *Store) replace(old *esdb.Client) (*esdb.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	if s.client != old {
		return s.client, nil
	}
	config := s.config
	client, err := esdb.NewClient(&config)
	if err != nil {
		return nil, fmt.Errorf("esdb: new client: %w", err)
	}
	s.client = client
	_ = old.Close()
	s.log.Warn("esdb: the client closed itself after a failed discovery; replaced it")
	return client, nil
}

// clientLogger routes the client's log lines to l at debug level: the
// client logs expected conditions (a wrong expected version, a dropped
// subscription) as errors, and the adapter reports what matters itself.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		if !l.Enabled(context.Background(), slog.LevelDebug) {
			return
		}
		l.Debug(fmt.Sprintf(format, args...), "source", "esdb-client", "client_level", level)
	}
}
