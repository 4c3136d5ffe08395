package httpapi

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// defaultUserCacheSize bounds how many acting users the authentication
// cache holds; past it, an arbitrary entry makes room.
const defaultUserCacheSize = 10_000

// userCache serves the acting users of authenticated requests. Each is
// kept folded at its stream revision, and every lookup still asks the
// event store for the stream's current revision (its last record, nothing
// decoded), folding the stream again only when it moved. Authorization so
// still rests on the write side as it stands at the request, while the
// decoding and folding, about an eighth of the server's CPU per
// authenticated GET, happen once per change of the user.
//
// The users it returns are shared between requests: callers only read
// them (never call a method that decides and records events).
type userCache struct {
	src UserLoader
	max int

	mu    sync.Mutex
	users map[uuid.UUID]foldedUser
}

type foldedUser struct {
	u   *user.User
	rev int64
}

func newUserCache(src UserLoader, max int) *userCache {
	return &userCache{src: src, max: max, users: map[uuid.UUID]foldedUser{}}
}

// Load returns the user as of its stream's current revision, and that
// revision.
func (c *userCache) Load(ctx context.Context, id uuid.UUID) (*user.User, int64, error) {
	rev, err := c.src.Revision(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	f, ok := c.users[id]
	c.mu.Unlock()
	if ok && f.rev == rev {
		return f.u, rev, nil
	}
	u, rev, err := c.src.Load(ctx, id)
	if err != nil || rev == eventstore.NoRevision {
		return u, rev, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.users[id]; ok && cur.rev > rev {
		return u, rev, nil // a concurrent request folded a later revision
	}
	if _, ok := c.users[id]; !ok && len(c.users) >= c.max {
		for k := range c.users {
			delete(c.users, k)
			break
		}
	}
	c.users[id] = foldedUser{u: u, rev: rev}
	return u, rev, nil
}
