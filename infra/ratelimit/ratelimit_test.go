package ratelimit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/ratelimit"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

func TestAllow(t *testing.T) {
	rule := ratelimit.Rule{Name: "test", Rate: 3, Period: time.Minute, Burst: 3}
	tests := []struct {
		name  string
		calls []string // keys, in order
		want  []bool   // allowed, per call
	}{
		{"up to the burst", []string{"a", "a", "a"}, []bool{true, true, true}},
		{"refused past the burst", []string{"a", "a", "a", "a", "a"}, []bool{true, true, true, false, false}},
		{"keys are independent", []string{"a", "a", "a", "a", "b", "b", "b", "b"}, []bool{true, true, true, false, true, true, true, false}},
		{"keys that look alike are independent", []string{"a:b", "a:b", "a:b", "a:b", "a", "a"}, []bool{true, true, true, false, true, true}},
	}
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					rdb, prefix := b.Open(t)
					l, err := ratelimit.New(rdb, prefix)
					if err != nil {
						t.Fatal(err)
					}
					remaining := map[string]int{}
					for i, key := range tc.calls {
						d, err := l.Allow(context.Background(), rule, key)
						if err != nil {
							t.Fatalf("call %d: %v", i, err)
						}
						if d.Allowed != tc.want[i] {
							t.Fatalf("call %d (key %q): allowed %v, want %v", i, key, d.Allowed, tc.want[i])
						}
						if d.Allowed {
							remaining[key]++
							if d.RetryAfter != 0 || d.Remaining != rule.Burst-remaining[key] {
								t.Fatalf("call %d: allowed with %+v, want remaining %d and no retry", i, d, rule.Burst-remaining[key])
							}
							continue
						}
						// One event per 20s: the next is allowed within 20s.
						if d.RetryAfter <= 0 || d.RetryAfter > 20*time.Second || d.Remaining != 0 {
							t.Fatalf("call %d: refused with %+v", i, d)
						}
					}
				})
			}
		})
	}
}

// TestRefill: after the retry delay the key is allowed again.
func TestRefill(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			rdb, prefix := b.Open(t)
			l, err := ratelimit.New(rdb, prefix)
			if err != nil {
				t.Fatal(err)
			}
			rule := ratelimit.Rule{Name: "fast", Rate: 10, Period: time.Second, Burst: 1}
			ctx := context.Background()
			if d, err := l.Allow(ctx, rule, "k"); err != nil || !d.Allowed {
				t.Fatalf("first: %+v %v", d, err)
			}
			d, err := l.Allow(ctx, rule, "k")
			if err != nil || d.Allowed {
				t.Fatalf("second: %+v %v", d, err)
			}
			time.Sleep(d.RetryAfter + 20*time.Millisecond)
			if d, err := l.Allow(ctx, rule, "k"); err != nil || !d.Allowed {
				t.Fatalf("after %v: %+v %v", d.RetryAfter, d, err)
			}
		})
	}
}

// TestKeys: state lives under the prefix, with no key material in clear.
func TestKeys(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			rdb, prefix := b.Open(t)
			l, err := ratelimit.New(rdb, prefix)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			rule := ratelimit.Rule{Name: "login-account", Rate: 1, Period: time.Minute, Burst: 1}
			if _, err := l.Allow(ctx, rule, "Ann@Example.com\r\n*:{x}"); err != nil {
				t.Fatal(err)
			}
			ours, err := rdb.Keys(ctx, prefix+"*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(ours) != 1 || !strings.HasPrefix(ours[0], prefix+"login-account:") || len(ours[0]) != len(prefix+"login-account:")+64 {
				t.Fatalf("keys %q, want one %slogin-account:<sha256>", ours, prefix)
			}
			if stray, err := rdb.Keys(ctx, "rate:"+prefix+"*").Result(); err != nil || len(stray) != 0 {
				t.Fatalf("keys outside the prefix: %q %v", stray, err)
			}
			if strings.Contains(strings.ToLower(ours[0]), "example") {
				t.Fatalf("key %q holds the input in clear", ours[0])
			}
			ttl, err := rdb.TTL(ctx, ours[0]).Result()
			if err != nil || ttl <= 0 || ttl > time.Minute+time.Second {
				t.Fatalf("ttl %v %v, want the key to expire within a minute", ttl, err)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	rdb, prefix := redistest.Mini(t)
	l, err := ratelimit.New(rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	ok := ratelimit.Rule{Name: "ok", Rate: 1, Period: time.Second, Burst: 1}
	tests := []struct {
		name string
		rule ratelimit.Rule
		key  string
	}{
		{"empty name", ratelimit.Rule{Rate: 1, Period: time.Second, Burst: 1}, "k"},
		{"name with a colon", ratelimit.Rule{Name: "a:b", Rate: 1, Period: time.Second, Burst: 1}, "k"},
		{"zero rate", ratelimit.Rule{Name: "r", Period: time.Second, Burst: 1}, "k"},
		{"zero period", ratelimit.Rule{Name: "r", Rate: 1, Burst: 1}, "k"},
		{"zero burst", ratelimit.Rule{Name: "r", Rate: 1, Period: time.Second}, "k"},
		{"empty key", ok, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d, err := l.Allow(context.Background(), tc.rule, tc.key); err == nil {
				t.Fatalf("allowed %+v, want an error", d)
			}
		})
	}
	if _, err := ratelimit.New(nil, "p:"); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}
