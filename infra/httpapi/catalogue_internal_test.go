package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain/role"
)

type countingCatalogue struct {
	reads int
	fail  bool
}

func (c *countingCatalogue) Catalogue(context.Context) (role.Catalogue, error) {
	c.reads++
	if c.fail {
		return role.Catalogue{}, errors.New("redis down")
	}
	return role.NewCatalogue(role.Definition{Key: "support", Permissions: []role.Permission{role.ReadUsers}}), nil
}

func TestCatalogueCache(t *testing.T) {
	src := &countingCatalogue{}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := newCatalogueCache(src, time.Second).(*catalogueCache)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for range 3 {
		cat, err := c.Catalogue(ctx)
		if _, ok := cat.Lookup("support"); err != nil || !ok {
			t.Fatalf("catalogue: %v", err)
		}
	}
	if src.reads != 1 {
		t.Fatalf("%d reads within the TTL, want 1", src.reads)
	}
	now = now.Add(time.Second)
	src.fail = true
	if _, err := c.Catalogue(ctx); err == nil {
		t.Fatal("an expired entry was served while the source failed")
	}
	src.fail = false
	if _, err := c.Catalogue(ctx); err != nil || src.reads != 3 {
		t.Fatalf("after expiry: %v, %d reads", err, src.reads)
	}
	if got := newCatalogueCache(src, 0); got != CatalogueSource(src) {
		t.Fatal("a zero TTL must not cache")
	}
}
