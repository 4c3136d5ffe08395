package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// defaultUserCacheSize bounds how many acting users the authentication
// cache holds; past it, an arbitrary entry makes room.
const defaultUserCacheSize = 10_000

// userCacheTTL bounds how long a folded user is kept: a user deleted with
// its data anonymized must not linger in memory, and a fold this old is
// refolded even if its stream did not move.
const userCacheTTL = time.Minute

// userCache serves the acting users of authenticated requests. Each is
// kept folded at its stream revision, and every lookup still asks the
// event store for the stream's current revision (its last record, nothing
// decoded), folding the stream again only when it moved. Authorization so
// still rests on the write side as it stands at the request, while the
// decoding and folding, about an eighth of the server's CPU per
// authenticated GET, happen once per change of the user.
//
// The users it returns are shared between requests: callers only read
// them (never call a method that decides and records events). A fold is
// kept at most ttl; expired ones are dropped at the first lookup after.
type userCache struct {
	src UserLoader
	max int
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	users     map[uuid.UUID]foldedUser
	lastSweep time.Time
}

type foldedUser struct {
	u      *user.User
	rev    int64
	folded time.Time
}

func newUserCache(src UserLoader, max int, ttl time.Duration) *userCache {
	return &userCache{src: src, max: max, ttl: ttl, now: time.Now, users: map[uuid.UUID]foldedUser{}}
}

// Load returns the user as of its stream's current revision, and that
// revision.
func (c *userCache) Load(ctx context.Context, id uuid.UUID) (*user.User, int64, error) {
	rev, err := c.src.Revision(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	now := c.now()
	c.sweep(now)
	f, ok := c.users[id]
	c.mu.Unlock()
	if ok && f.rev == rev && now.Sub(f.folded) < c.ttl {
		return f.u, rev, nil
	}
	u, rev, err := c.src.Load(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rev == eventstore.NoRevision || u.Deleted() {
		// Gone, or its data about to be: nothing about it stays here.
		delete(c.users, id)
		return u, rev, nil
	}
	if cur, ok := c.users[id]; ok && cur.rev > rev {
		return u, rev, nil // a concurrent request folded a later revision
	}
	if _, ok := c.users[id]; !ok && len(c.users) >= c.max {
		for k := range c.users {
			delete(c.users, k)
			break
		}
	}
	c.users[id] = foldedUser{u: u, rev: rev, folded: now}
	return u, rev, nil
}

// sweep drops the expired folds, at most once per ttl. c.mu is held.
func (c *userCache) sweep(now time.Time) {
	if now.Sub(c.lastSweep) < c.ttl {
		return
	}
	c.lastSweep = now
	for id, f := range c.users {
		if now.Sub(f.folded) >= c.ttl {
			delete(c.users, id)
		}
	}
}
