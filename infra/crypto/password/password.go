// Package password hashes and verifies passwords with argon2id.
//
// Hashes are PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so
// parameters can be raised later without invalidating stored hashes.
// github.com/alexedwards/argon2id does the encoding and the constant-time
// comparison on top of golang.org/x/crypto/argon2.
package password

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/alexedwards/argon2id"
)

// OWASP's recommended argon2id minimum: 19 MiB, 2 iterations, 1 lane.
var OWASP = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// ErrMalformedHash means a stored hash is not an argon2id PHC string.
var ErrMalformedHash = errors.New("password: malformed hash")

// Hasher hashes and verifies passwords. At most Concurrency hash operations
// run at once, each taking Params.Memory KiB, so a burst of logins cannot
// exhaust memory; callers beyond that wait (or give up when ctx ends).
type Hasher struct {
	params argon2id.Params
	sem    chan struct{}
}

// NewHasher returns a Hasher with the given parameters; concurrency <= 0
// means one per CPU.
func NewHasher(params argon2id.Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: params, sem: make(chan struct{}, concurrency)}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC-encoded argon2id hash of pw with a random salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	s, err := argon2id.CreateHash(pw, &h.params)
	if err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	return s, nil
}

// Verify reports whether pw matches hash, in constant time.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return ok, nil
}
