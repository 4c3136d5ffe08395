package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestRedisOptions(t *testing.T) {
	tests := []struct {
		url      string
		wantPool int
		wantErr  string
	}{
		{url: "redis://127.0.0.1:6379/0", wantPool: max(defaultPoolSize, 10*runtime.GOMAXPROCS(0))},
		{url: "redis://127.0.0.1:6379/0?pool_size=7", wantPool: 7},
		{url: "redis://127.0.0.1:6379/0?dial_timeout=3s", wantPool: max(defaultPoolSize, 10*runtime.GOMAXPROCS(0))},
		{url: "http://127.0.0.1:6379/0", wantErr: "REDIS_URL"},
		{url: "redis://127.0.0.1:6379/0?pool_size=many", wantErr: "REDIS_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			opts, err := redisOptions(tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.PoolSize != tc.wantPool {
				t.Errorf("PoolSize = %d, want %d", opts.PoolSize, tc.wantPool)
			}
		})
	}
}

// TestRedisPoolOnManyCPUs: where go-redis's own default (10 per CPU) is the
// larger, it stays.
func TestRedisPoolOnManyCPUs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(32))
	opts, err := redisOptions("redis://127.0.0.1:6379/0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.PoolSize != 320 {
		t.Errorf("PoolSize = %d on 32 CPUs, want 320", opts.PoolSize)
	}
}
