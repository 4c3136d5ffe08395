package roles_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/readmodels/keyspace"
	"github.com/clarynext/usermgmt/readmodels/roles"
)

// BenchmarkCatalogue measures the read every authenticated request makes,
// against the real Redis at REDIS_URL, with 50 live and 20 deleted custom
// roles:
//
//	REDIS_URL=redis://127.0.0.1:6379/0 go test -run '^$' -bench Catalogue ./readmodels/roles/
func BenchmarkCatalogue(b *testing.B) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		b.Fatal("REDIS_URL is not set: the benchmark needs a real Redis")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	prefix := fmt.Sprintf("bench:roles:%d:", time.Now().UnixNano())
	b.Cleanup(func() {
		if _, err := keyspace.DeletePrefix(context.Background(), rdb, prefix); err != nil {
			b.Errorf("clean up %s*: %v", prefix, err)
		}
		rdb.Close()
	})
	ctx := context.Background()
	s := roles.New(rdb, prefix)
	pipe := rdb.TxPipeline()
	for i := range 70 {
		r := roles.Role{
			Key: fmt.Sprintf("custom-%02d", i), Name: fmt.Sprintf("Custom role %d", i), Description: "A role for the benchmark",
			Permissions: []role.Permission{role.ReadAudit, role.ReadReports, role.ReadUsers},
			Created:     time.Now(), Updated: time.Now(), Deleted: i >= 50,
		}
		s.Put(ctx, pipe, r)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	c, err := s.Catalogue(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if n := len(c.Roles()); n != 50+len(role.BuiltIn()) {
		b.Fatalf("catalogue holds %d roles, want %d", n, 50+len(role.BuiltIn()))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Catalogue(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
