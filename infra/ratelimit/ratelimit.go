// Package ratelimit limits how often something may happen per key, with
// the GCRA limiter of github.com/go-redis/redis_rate over Redis, so every
// instance of the service shares one budget.
//
// Key schema: the state of a rule for one key is a single string at
//
//	{prefix}{rule name}:{hex SHA-256 of the key}
//
// holding the GCRA "theoretical arrival time"; it expires by itself once
// the budget is full again. Keys are hashed so that user input (emails, IP
// addresses) can neither break the key structure nor sit in Redis in clear.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Rule is one limit: Rate events per Period on average, with bursts of up
// to Burst events at once. Name tells rules apart in Redis keys and must
// match [a-z0-9_-]{1,64}.
type Rule struct {
	Name   string
	Rate   int
	Period time.Duration
	Burst  int
}

var validName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Validate reports what is wrong with the rule, if anything.
func (r Rule) Validate() error {
	var errs []error
	if !validName.MatchString(r.Name) {
		errs = append(errs, fmt.Errorf("rule name %q must match [a-z0-9_-]{1,64}", r.Name))
	}
	if r.Rate <= 0 {
		errs = append(errs, fmt.Errorf("rule %q: rate must be positive", r.Name))
	}
	if r.Period <= 0 {
		errs = append(errs, fmt.Errorf("rule %q: period must be positive", r.Name))
	}
	if r.Burst <= 0 {
		errs = append(errs, fmt.Errorf("rule %q: burst must be positive", r.Name))
	}
	return errors.Join(errs...)
}

// Decision is the outcome of one Allow call. When Allowed is false,
// RetryAfter is how long until the next event would be allowed (always
// positive); when it is true, RetryAfter is 0. Remaining is how many more
// events the key may have right now.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
	Remaining  int
}

// Limiter checks and counts events against rules. It is safe for
// concurrent use; its state lives in Redis only.
type Limiter struct {
	prefix string
	gcra   *redis_rate.Limiter
}

// New returns a Limiter that keeps its state in rdb under prefix.
func New(rdb redis.UniversalClient, prefix string) (*Limiter, error) {
	if rdb == nil {
		return nil, errors.New("ratelimit: a Redis client is required")
	}
	return &Limiter{prefix: prefix, gcra: redis_rate.NewLimiter(prefixed{rdb: rdb, prefix: prefix})}, nil
}

// Allow counts one event for key under rule and reports whether it is
// within the limit. A refused event is not counted. key may be any string
// (it is hashed); an empty key is refused as an error, since it would put
// unrelated callers in one bucket.
func (l *Limiter) Allow(ctx context.Context, rule Rule, key string) (Decision, error) {
	if err := rule.Validate(); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: %w", err)
	}
	if key == "" {
		return Decision{}, fmt.Errorf("ratelimit: rule %q: empty key", rule.Name)
	}
	res, err := l.gcra.Allow(ctx, bucket(rule.Name, key), redis_rate.Limit{Rate: rule.Rate, Period: rule.Period, Burst: rule.Burst})
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: rule %q: %w", rule.Name, err)
	}
	d := Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining}
	if !d.Allowed {
		d.RetryAfter = max(res.RetryAfter, time.Millisecond)
	}
	return d, nil
}

// bucket is the key of a rule's state for key, without the prefix.
func bucket(rule, key string) string {
	sum := sha256.Sum256([]byte(key))
	return rule + ":" + hex.EncodeToString(sum[:])
}
