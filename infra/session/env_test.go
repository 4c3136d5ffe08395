package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/session"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

// Lifetimes used by most tests.
const (
	idle     = 30 * time.Minute
	absolute = 12 * time.Hour
	// touch is when a Lookup rewrites the last touch: idle/10.
	touch = idle / 10
)

// fakeClock is a settable clock, far from real time so that tests notice
// any TTL computed from absolute timestamps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2001, 2, 3, 4, 5, 6, 789_000_000, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's store on one backend, under a prefix of its own.
type env struct {
	rdb    redis.UniversalClient
	prefix string
	clock  *fakeClock
	store  *session.Store
}

// forEachBackend runs fn against real Redis and miniredis, each with a fresh
// fake clock and a Store with the test lifetimes.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			rdb, prefix := b.Open(t)
			clock := newClock()
			store := session.New(rdb, prefix, session.Config{Idle: idle, Absolute: absolute, Now: clock.Now})
			fn(t, &env{rdb: rdb, prefix: prefix, clock: clock, store: store})
		})
	}
}

// login creates a session decided now.
func (e *env) login(t *testing.T, user uuid.UUID) (string, session.Session) {
	t.Helper()
	token, sess, err := e.store.Create(context.Background(), user, e.clock.Now(), session.Info{IP: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return token, sess
}

// mustLookup fails the test unless token names a live session.
func (e *env) mustLookup(t *testing.T, token string) session.Session {
	t.Helper()
	sess, err := e.store.Lookup(context.Background(), token)
	if err != nil {
		t.Fatalf("Lookup of a live session: %v", err)
	}
	return sess
}

// mustFail fails the test unless looking token up answers ErrInvalid.
func (e *env) mustFail(t *testing.T, token string) {
	t.Helper()
	sess, err := e.store.Lookup(context.Background(), token)
	if !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("Lookup = %+v, %v; want ErrInvalid", sess, err)
	}
}
