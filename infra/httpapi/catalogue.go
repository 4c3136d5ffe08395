package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/clarynext/usermgmt/domain/role"
)

// catalogueCache keeps the role catalogue for a short time, so that the
// authentication of every request does not read it from Redis. A change
// to a custom role reaches authorization within the TTL; queries that show
// permissions (permissions, explain) read the catalogue fresh.
type catalogueCache struct {
	src CatalogueSource
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	cat   role.Catalogue
	until time.Time
}

func newCatalogueCache(src CatalogueSource, ttl time.Duration) CatalogueSource {
	if ttl <= 0 {
		return src
	}
	return &catalogueCache{src: src, ttl: ttl, now: time.Now}
}

// Catalogue returns the cached catalogue, reading it again once it is
// older than the TTL. Concurrent callers of an expired entry wait for one
// read instead of all reading.
func (c *catalogueCache) Catalogue(ctx context.Context) (role.Catalogue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Before(c.until) {
		return c.cat, nil
	}
	cat, err := c.src.Catalogue(ctx)
	if err != nil {
		return role.Catalogue{}, err
	}
	c.cat, c.until = cat, c.now().Add(c.ttl)
	return cat, nil
}
