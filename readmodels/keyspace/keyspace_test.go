package keyspace_test

import (
	"context"
	"testing"

	"github.com/clarynext/usermgmt/readmodels/keyspace"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

func TestDeletePrefix(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			for i := 0; i < 2500; i++ {
				rdb.Set(ctx, prefix+"gone:"+string(rune('a'+i%26))+":"+string(rune(i)), "x", 0)
			}
			rdb.Set(ctx, prefix+"gone*[odd]", "x", 0)
			rdb.Set(ctx, prefix+"kept", "x", 0)
			rdb.Set(ctx, prefix+"gonX", "x", 0)

			n, err := keyspace.DeletePrefix(ctx, rdb, prefix+"gone")
			if err != nil {
				t.Fatal(err)
			}
			left, _ := rdb.Keys(ctx, prefix+"*").Result()
			if len(left) != 2 {
				t.Fatalf("after deleting %d keys, left %v; want only kept and gonX", n, left)
			}
			if _, err := keyspace.DeletePrefix(ctx, rdb, ""); err == nil {
				t.Fatal("an empty prefix was accepted")
			}
		})
	}
}
