// Package password hashes and verifies passwords with argon2id.
//
// Hashes are PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so
// parameters can be raised later without invalidating stored hashes.
// github.com/alexedwards/argon2id parses them; the derivation is
// infra/crypto/argon2, golang.org/x/crypto/argon2 with a reusable work area.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/alexedwards/argon2id"

	"github.com/clarynext/usermgmt/infra/crypto/argon2"
)

// OWASP's recommended argon2id minimum: 19 MiB, 2 iterations, 1 lane.
var OWASP = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// ErrMalformedHash means a stored hash is not an argon2id PHC string.
var ErrMalformedHash = errors.New("password: malformed hash")

// Hasher hashes and verifies passwords. At most Concurrency hash operations
// run at once, so a burst of logins cannot exhaust memory; callers beyond
// that wait (or give up when ctx ends). Each slot keeps its argon2id work
// area (Params.Memory KiB) from one check to the next, so checks allocate
// nothing and leave the garbage collector nothing to do.
type Hasher struct {
	params argon2id.Params
	// slots holds the free slots, each with its work area.
	slots chan *argon2.Memory
}

// NewHasher returns a Hasher with the given parameters; concurrency <= 0
// means one per CPU. Work areas are allocated on first use.
func NewHasher(params argon2id.Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	slots := make(chan *argon2.Memory, concurrency)
	for range concurrency {
		slots <- new(argon2.Memory)
	}
	return &Hasher{params: params, slots: slots}
}

func (h *Hasher) acquire(ctx context.Context) (*argon2.Memory, error) {
	select {
	case m := <-h.slots:
		return m, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release(m *argon2.Memory) { h.slots <- m }

// derive runs argon2id in the slot's work area m, or in a one-off area
// when the parameters ask for more memory than the Hasher's own (a hash
// stored under stronger parameters), so that no slot keeps more than
// Params.Memory KiB.
func (h *Hasher) derive(m *argon2.Memory, pw string, salt []byte, p *argon2id.Params) []byte {
	if p.Memory > h.params.Memory {
		m = new(argon2.Memory)
	}
	return m.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

// Hash returns the PHC-encoded argon2id hash of pw with a random salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	m, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer h.release(m)
	key := h.derive(m, pw, salt, &h.params)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Iterations, h.params.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches hash, in constant time.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	params, salt, key, err := argon2id.DecodeHash(hash)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	if err := h.checkStored(hash, params, salt, key); err != nil {
		return false, err
	}
	m, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer h.release(m)
	other := h.derive(m, pw, salt, params)
	return subtle.ConstantTimeCompare(key, other) == 1, nil
}

// Bounds on the parameters of a stored hash. Hashes come from Hash, but a
// hash is data: one with zero passes or lanes would panic in argon2, a huge
// memory or pass count would exhaust the process or hold a slot for hours,
// and a short key would accept wrong passwords by chance (1 in 256 for one
// byte). Stronger parameters than the Hasher's own are accepted up to
// these bounds, so they can be raised later.
const (
	maxStoredPasses = 16
	maxStoredLanes  = 16
	storedMemoryCap = 256 * 1024 // KiB: 256 MiB, or 4x the Hasher's own if more
	minKeyBytes     = 16
	maxKeyBytes     = 64
	minSaltBytes    = 8
)

// checkStored refuses a decoded hash outside those bounds, or one whose
// parameter fields are not exactly what they decoded to (DecodeHash
// ignores trailing text such as "p=1junk").
func (h *Hasher) checkStored(hash string, p *argon2id.Params, salt, key []byte) error {
	maxMemory := max(storedMemoryCap, 4*h.params.Memory)
	canonical := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$", argon2.Version, p.Memory, p.Iterations, p.Parallelism)
	switch {
	case !strings.HasPrefix(hash, canonical):
		return fmt.Errorf("%w: parameters are not in canonical form", ErrMalformedHash)
	case p.Iterations < 1 || p.Iterations > maxStoredPasses:
		return fmt.Errorf("%w: t=%d, want 1 to %d", ErrMalformedHash, p.Iterations, maxStoredPasses)
	case p.Parallelism < 1 || p.Parallelism > maxStoredLanes:
		return fmt.Errorf("%w: p=%d, want 1 to %d", ErrMalformedHash, p.Parallelism, maxStoredLanes)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory:
		return fmt.Errorf("%w: m=%d KiB, want %d to %d", ErrMalformedHash, p.Memory, 8*uint32(p.Parallelism), maxMemory)
	case len(key) < minKeyBytes || len(key) > maxKeyBytes:
		return fmt.Errorf("%w: %d-byte key, want %d to %d", ErrMalformedHash, len(key), minKeyBytes, maxKeyBytes)
	case len(salt) < minSaltBytes:
		return fmt.Errorf("%w: %d-byte salt, want at least %d", ErrMalformedHash, len(salt), minSaltBytes)
	}
	return nil
}
