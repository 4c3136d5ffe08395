package session

import (
	_ "embed"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/create.lua
	createLua string
	//go:embed lua/lookup.lua
	lookupLua string
	//go:embed lua/revoke.lua
	revokeLua string
	//go:embed lua/revoke_id.lua
	revokeIDLua string
	//go:embed lua/revoke_user.lua
	revokeUserLua string
	//go:embed lua/list.lua
	listLua string
)

// ErrInvalid is the answer to every failed lookup: an unknown, malformed,
// expired or revoked token. The kinds are deliberately not told apart, so a
// caller cannot learn which tokens once existed. Failures to reach Redis are
// other errors, so that the caller can tell "unauthenticated" from
// "unavailable".
var ErrInvalid = errors.New("session: invalid, expired or revoked token")

// ErrRevoked is returned by Create when the user's sessions were revoked at
// or after the instant the login was decided: the login predates, say, a
// suspension and must not outlive it.
var ErrRevoked = errors.New("session: the user's sessions were revoked after this login was decided")

// Default lifetimes of a session.
const (
	defaultIdle     = 30 * time.Minute
	defaultAbsolute = 12 * time.Hour
)

// maxInfoLen bounds the client IP and user agent kept with a session, in
// bytes, so a client cannot make a session arbitrarily large.
const maxInfoLen = 512

// Config sets the lifetimes of sessions. Zero or negative fields take their
// defaults.
type Config struct {
	// Idle is how long a session lives without a Lookup (default 30m).
	Idle time.Duration
	// Absolute is how long a session lives after its login was decided,
	// however active it is (default 12h).
	Absolute time.Duration
	// Now is the clock for every time stored in Redis (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Idle <= 0 {
		c.Idle = defaultIdle
	}
	if c.Absolute <= 0 {
		c.Absolute = defaultAbsolute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// touchEvery is how old the last touch must be before a Lookup rewrites it:
// a tenth of the idle time, at least a second.
func (c Config) touchEvery() time.Duration {
	return max(c.Idle/10, time.Second)
}

// Info is what the login knows about the client, kept with the session.
type Info struct {
	// IP and UserAgent describe the client at login; each is cut to 512
	// bytes.
	IP, UserAgent string
	// Restricted marks a session that may only change its password; the
	// store keeps the flag, enforcing it is the caller's job.
	Restricted bool
}

// Session is one live session as stored. Times have millisecond precision
// and are in UTC.
type Session struct {
	// ID is the first 16 hex chars of the token hash: safe to show, to log,
	// and to revoke by (see RevokeID). It does not authenticate.
	ID     string
	UserID uuid.UUID
	// Created is when the login was decided (Create's decidedAt).
	Created time.Time
	// LastSeen is the last touch: the creation or a Lookup that slid the
	// idle expiry.
	LastSeen time.Time
	// IdleExpiresAt is when the session ends unless looked up again:
	// LastSeen+Idle, never after ExpiresAt.
	IdleExpiresAt time.Time
	// ExpiresAt is the absolute expiry: Created+Absolute.
	ExpiresAt     time.Time
	IP, UserAgent string
	Restricted    bool
}

// Store keeps sessions in Redis under one key prefix. It is safe for
// concurrent use.
//
// The scripts reach keys they compute from the prefix (a session's user
// set, a user's sessions) instead of declaring them, so a Redis Cluster
// works only when the prefix holds a hash tag ("{um}:") that puts every key
// in one slot.
type Store struct {
	rdb  redis.UniversalClient
	keys keys
	cfg  Config

	create     *redis.Script
	lookup     *redis.Script
	revoke     *redis.Script
	revokeID   *redis.Script
	revokeUser *redis.Script
	list       *redis.Script
}

// New returns a Store keeping its keys under prefix+"sess:" (see keys.go).
func New(rdb redis.UniversalClient, prefix string, cfg Config) *Store {
	return &Store{
		rdb:        rdb,
		keys:       keys{prefix: prefix + "sess:"},
		cfg:        cfg.withDefaults(),
		create:     redis.NewScript(createLua),
		lookup:     redis.NewScript(lookupLua),
		revoke:     redis.NewScript(revokeLua),
		revokeID:   redis.NewScript(revokeIDLua),
		revokeUser: redis.NewScript(revokeUserLua),
		list:       redis.NewScript(listLua),
	}
}

// nowMicro is the store clock in Unix microseconds (revocation instants).
func (s *Store) nowMicro() int64 { return s.cfg.Now().UnixMicro() }

// nowMS is the store clock in Unix milliseconds.
func (s *Store) nowMS() int64 { return s.cfg.Now().UnixMilli() }

// session builds a Session from the stored fields.
func (s *Store) session(hash string, userID uuid.UUID, created, seen, abs int64, ip, ua string, restricted bool) Session {
	return Session{
		ID:            hash[:idLen],
		UserID:        userID,
		Created:       time.UnixMicro(created).UTC(),
		LastSeen:      fromMS(seen),
		IdleExpiresAt: fromMS(min(seen+s.cfg.Idle.Milliseconds(), abs)),
		ExpiresAt:     fromMS(abs),
		IP:            ip,
		UserAgent:     ua,
		Restricted:    restricted,
	}
}

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// fields reads a script's array reply of strings.
func fields(reply any, op string) ([]string, error) {
	arr, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("session: %s: unexpected reply %T", op, reply)
	}
	out := make([]string, len(arr))
	for i, v := range arr {
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("session: %s: unexpected reply element %T", op, v)
		}
		out[i] = str
	}
	return out, nil
}
