package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/session"
)

func TestCreateLookup(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			info session.Info
		}{
			{"full", session.Info{IP: "2001:db8::1", UserAgent: "Mozilla/5.0 (X11; Linux)"}},
			{"restricted", session.Info{IP: "192.0.2.7", UserAgent: "curl/8", Restricted: true}},
			{"no client info", session.Info{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				user := uuid.New()
				decided := e.clock.Now().Add(-1500 * time.Microsecond) // sub-ms part is dropped
				token, created, err := e.store.Create(ctx, user, decided, tc.info)
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if raw, err := base64.RawURLEncoding.DecodeString(token); len(token) != 43 || err != nil || len(raw) != 32 {
					t.Errorf("token %q is not 32 bytes in base64url without padding (%v)", token, err)
				}
				sum := sha256.Sum256([]byte(token))
				want := session.Session{
					ID:            hex.EncodeToString(sum[:])[:16],
					UserID:        user,
					Created:       time.UnixMicro(decided.UnixMicro()).UTC(),
					LastSeen:      e.clock.Now(),
					IdleExpiresAt: e.clock.Now().Add(idle),
					ExpiresAt:     time.UnixMilli(decided.UnixMilli()).UTC().Add(absolute),
					IP:            tc.info.IP,
					UserAgent:     tc.info.UserAgent,
					Restricted:    tc.info.Restricted,
				}
				if created != want {
					t.Errorf("Create returned\n%+v, want\n%+v", created, want)
				}
				if got := e.mustLookup(t, token); got != want {
					t.Errorf("Lookup returned\n%+v, want\n%+v", got, want)
				}
			})
		}
	})
}

func TestCreateRefuses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name    string
			user    uuid.UUID
			decided time.Time
		}{
			{"nil user", uuid.Nil, e.clock.Now()},
			{"zero decision time", uuid.New(), time.Time{}},
			{"decided longer ago than the absolute lifetime", uuid.New(), e.clock.Now().Add(-absolute)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				token, _, err := e.store.Create(context.Background(), tc.user, tc.decided, session.Info{})
				if err == nil || token != "" {
					t.Fatalf("Create = %q, %v; want an error and no token", token, err)
				}
			})
		}
	})
}

func TestCreateCutsClientInfo(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ua := strings.Repeat("é", 400) // 800 bytes
		token, sess, err := e.store.Create(context.Background(), uuid.New(), e.clock.Now(), session.Info{UserAgent: ua})
		if err != nil {
			t.Fatal(err)
		}
		got := e.mustLookup(t, token).UserAgent
		if got != sess.UserAgent || got != strings.Repeat("é", 256) {
			t.Errorf("stored user agent of %d bytes (%q), want the first 512 bytes", len(got), got)
		}
	})
}

func TestDefaults(t *testing.T) {
	rdb, prefix := redisBackendMini(t)
	store := session.New(rdb, prefix, session.Config{})
	_, sess, err := store.Create(context.Background(), uuid.New(), time.Now(), session.Info{})
	if err != nil {
		t.Fatal(err)
	}
	if d := sess.IdleExpiresAt.Sub(sess.LastSeen); d != 30*time.Minute {
		t.Errorf("default idle lifetime %v, want 30m", d)
	}
	// ExpiresAt is whole milliseconds, Created microseconds.
	if d := sess.ExpiresAt.Sub(sess.Created); d <= 12*time.Hour-time.Millisecond || d > 12*time.Hour {
		t.Errorf("default absolute lifetime %v, want 12h", d)
	}
	if d := time.Since(sess.LastSeen); d < 0 || d > time.Minute {
		t.Errorf("default clock: LastSeen %v is not now", sess.LastSeen)
	}
}

func TestLookupRejects(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		token, _ := e.login(t, uuid.New())
		for _, tc := range []struct{ name, token string }{
			{"empty", ""},
			{"unknown", base64.RawURLEncoding.EncodeToString(make([]byte, 32))},
			{"too short", token[:42]},
			{"too long", token + "A"},
			{"padded", token[:42] + "="},
			{"standard base64 alphabet", "+" + token[1:]},
			{"space", " " + token[1:]},
			{"non-canonical last character", nonCanonical(token)},
			{"the token's hash", hashOf(token)},
			{"the session ID", hashOf(token)[:16]},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.mustFail(t, tc.token)
				if err := e.store.Revoke(context.Background(), tc.token); !errors.Is(err, session.ErrInvalid) {
					t.Errorf("Revoke = %v, want ErrInvalid", err)
				}
			})
		}
		e.mustLookup(t, token)
	})
}

// nonCanonical changes the unused low bits of the token's last character,
// which a lax decoder would accept as the same 32 bytes.
func nonCanonical(token string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, token[42])
	return token[:42] + string(alphabet[i^1])
}

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// A malformed token is refused without a round trip: the store's Redis is
// gone, yet the answer is ErrInvalid, while a well-formed token gets the
// connection error.
func TestMalformedTokenSkipsRedis(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	store := session.New(rdb, "test:", session.Config{})
	m.Close()
	ctx := context.Background()
	for _, token := range []string{"", "x", strings.Repeat("!", 43)} {
		if _, err := store.Lookup(ctx, token); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("Lookup(%q) = %v, want ErrInvalid", token, err)
		}
	}
	wellFormed := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	_, err := store.Lookup(ctx, wellFormed)
	if err == nil || errors.Is(err, session.ErrInvalid) {
		t.Fatalf("Lookup with Redis down = %v, want a connection error", err)
	}
	if strings.Contains(err.Error(), wellFormed) || strings.Contains(err.Error(), hashOf(wellFormed)) {
		t.Errorf("error %q shows the token or its hash", err)
	}
}

func TestIdleExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name  string
			after time.Duration
			live  bool
		}{
			{"just before", idle - time.Millisecond, true},
			{"at", idle, false},
			{"long after", 3 * idle, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				token, _ := e.login(t, uuid.New())
				e.clock.Advance(tc.after)
				if tc.live {
					e.mustLookup(t, token)
				} else {
					e.mustFail(t, token)
					e.mustFail(t, token) // and stays ended
				}
			})
		}
	})
}

func TestSlidingKeepsAlive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		token, _ := e.login(t, uuid.New())
		for range 8 { // 4 idle periods in all
			e.clock.Advance(idle / 2)
			sess := e.mustLookup(t, token)
			if want := e.clock.Now().Add(idle); !sess.IdleExpiresAt.Equal(want) {
				t.Fatalf("IdleExpiresAt %v, want %v", sess.IdleExpiresAt, want)
			}
		}
		e.clock.Advance(idle)
		e.mustFail(t, token)
	})
}

// A Lookup rewrites the last touch only once idle/10 has passed since the
// previous one: looking up more often does not slide the expiry.
func TestTouchInterval(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		token, created := e.login(t, uuid.New())
		e.clock.Advance(touch - time.Millisecond)
		if got := e.mustLookup(t, token); !got.LastSeen.Equal(created.LastSeen) {
			t.Errorf("LastSeen moved to %v before idle/10", got.LastSeen)
		}
		e.clock.Advance(time.Millisecond)
		touched := e.mustLookup(t, token)
		if !touched.LastSeen.Equal(e.clock.Now()) {
			t.Errorf("LastSeen %v after idle/10, want %v", touched.LastSeen, e.clock.Now())
		}
		// Lookups more frequent than idle/10 keep the expiry set by the last
		// rewrite.
		for range 4 {
			e.clock.Advance(touch / 5)
			if got := e.mustLookup(t, token); !got.LastSeen.Equal(touched.LastSeen) {
				t.Fatalf("LastSeen moved to %v within idle/10 of the last touch", got.LastSeen)
			}
		}
		e.clock.Advance(idle - 4*touch/5)
		e.mustFail(t, token)
	})
}

func TestAbsoluteExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		token, created := e.login(t, uuid.New())
		var last session.Session
		for e.clock.Now().Add(idle / 3).Before(created.ExpiresAt) {
			e.clock.Advance(idle / 3)
			last = e.mustLookup(t, token)
		}
		if !last.IdleExpiresAt.Equal(created.ExpiresAt) {
			t.Errorf("near the end IdleExpiresAt is %v, want the absolute expiry %v", last.IdleExpiresAt, created.ExpiresAt)
		}
		e.clock.Advance(created.ExpiresAt.Sub(e.clock.Now()) - time.Millisecond)
		e.mustLookup(t, token)
		e.clock.Advance(time.Millisecond)
		e.mustFail(t, token)
	})
}

func TestRevoke(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user := uuid.New()
		token, _ := e.login(t, user)
		other, _ := e.login(t, user)
		if err := e.store.Revoke(ctx, token); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		e.mustFail(t, token)
		if err := e.store.Revoke(ctx, token); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("second Revoke = %v, want ErrInvalid", err)
		}
		e.mustLookup(t, other)
		if list := mustList(t, e, user); len(list) != 1 {
			t.Errorf("List after Revoke has %d sessions, want 1", len(list))
		}
	})
}

func TestRevokeID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user, stranger := uuid.New(), uuid.New()
		token, sess := e.login(t, user)
		other, _ := e.login(t, user)
		for _, tc := range []struct {
			name string
			user uuid.UUID
			id   string
		}{
			{"another user's", stranger, sess.ID},
			{"malformed", user, strings.ToUpper(sess.ID)},
			{"too short", user, sess.ID[:15]},
			{"unknown", user, "0123456789abcdef"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := e.store.RevokeID(ctx, tc.user, tc.id); !errors.Is(err, session.ErrInvalid) {
					t.Errorf("RevokeID = %v, want ErrInvalid", err)
				}
			})
		}
		e.mustLookup(t, token)
		if err := e.store.RevokeID(ctx, user, sess.ID); err != nil {
			t.Fatalf("RevokeID: %v", err)
		}
		e.mustFail(t, token)
		e.mustLookup(t, other)
		if err := e.store.RevokeID(ctx, user, sess.ID); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("second RevokeID = %v, want ErrInvalid", err)
		}
	})
}

func TestRevokeUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, bob := uuid.New(), uuid.New()
		idled, _ := e.login(t, alice) // will have idled out: not counted
		e.clock.Advance(idle)
		var tokens []string
		for range 3 {
			token, _ := e.login(t, alice)
			tokens = append(tokens, token)
			e.clock.Advance(time.Second)
		}
		bobs, _ := e.login(t, bob)
		n, err := e.store.RevokeUser(ctx, alice)
		if err != nil {
			t.Fatalf("RevokeUser: %v", err)
		}
		if n != 3 {
			t.Errorf("RevokeUser ended %d sessions, want 3", n)
		}
		for _, token := range append(tokens, idled) {
			e.mustFail(t, token)
		}
		e.mustLookup(t, bobs)
		if list := mustList(t, e, alice); len(list) != 0 {
			t.Errorf("List after RevokeUser has %d sessions", len(list))
		}
		if list := mustList(t, e, bob); len(list) != 1 {
			t.Errorf("the other user has %d sessions, want 1", len(list))
		}
		if n, err := e.store.RevokeUser(ctx, alice); n != 0 || err != nil {
			t.Errorf("second RevokeUser = %d, %v; want 0, nil", n, err)
		}
		if n, err := e.store.RevokeUser(ctx, uuid.New()); n != 0 || err != nil {
			t.Errorf("RevokeUser of a user without sessions = %d, %v; want 0, nil", n, err)
		}
	})
}

// A login decided before a revocation cannot create its session after it;
// one decided after it can.
func TestCreateAfterRevokeUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tc := range []struct {
			name    string
			decided time.Duration // relative to the revocation
			want    error
		}{
			{"decided a second before", -time.Second, session.ErrRevoked},
			{"decided a millisecond before", -time.Millisecond, session.ErrRevoked},
			{"decided at the same instant", 0, session.ErrRevoked},
			{"decided a microsecond after, in the same millisecond", time.Microsecond, nil},
			{"decided a millisecond after", time.Millisecond, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				user := uuid.New()
				e.clock.Advance(time.Minute)
				revokedAt := e.clock.Now()
				if _, err := e.store.RevokeUser(ctx, user); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(time.Second) // the session is stored later
				token, _, err := e.store.Create(ctx, user, revokedAt.Add(tc.decided), session.Info{})
				if !errors.Is(err, tc.want) {
					t.Fatalf("Create = %v, want %v", err, tc.want)
				}
				if tc.want == nil {
					e.mustLookup(t, token)
				} else if token != "" {
					t.Errorf("refused Create returned a token")
				}
				if list := mustList(t, e, user); len(list) != btoi(tc.want == nil) {
					t.Errorf("List has %d sessions", len(list))
				}
			})
		}
	})
}

// Lookup itself refuses a session created at or before the user's last
// revocation, even one RevokeUser could not find (here its user set was
// lost).
func TestLookupRefusesSessionsBeforeRevocation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user := uuid.New()
		token, _ := e.login(t, user)
		if err := e.rdb.Del(ctx, e.prefix+"sess:u:"+user.String()).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := e.store.RevokeUser(ctx, user); n != 0 || err != nil {
			t.Fatalf("RevokeUser = %d, %v; want 0 (the set is gone)", n, err)
		}
		if n, _ := e.rdb.Exists(ctx, e.prefix+"sess:t:"+hashOf(token)).Result(); n != 1 {
			t.Fatal("the orphan session is gone: the test tests nothing")
		}
		e.mustFail(t, token)
		e.clock.Advance(time.Millisecond)
		later, _ := e.login(t, user)
		e.mustLookup(t, later)
	})
}

func TestList(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user := uuid.New()
		if list := mustList(t, e, user); len(list) != 0 {
			t.Fatalf("List of a user without sessions: %v", list)
		}
		idled, _ := e.login(t, user)
		e.clock.Advance(idle)
		var want []session.Session
		var revoked string
		for i := range 4 {
			token, _, err := e.store.Create(ctx, user, e.clock.Now(), session.Info{IP: "192.0.2.1", Restricted: i == 1})
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				revoked = token
			} else {
				want = append([]session.Session{e.mustLookup(t, token)}, want...)
			}
			e.clock.Advance(time.Minute)
		}
		if err := e.store.Revoke(ctx, revoked); err != nil {
			t.Fatal(err)
		}
		e.login(t, uuid.New()) // another user's
		got := mustList(t, e, user)
		if len(got) != len(want) {
			t.Fatalf("List has %d sessions, want %d: %+v", len(got), len(want), got)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("List[%d] =\n%+v, want\n%+v", i, got[i], want[i])
			}
		}
		e.mustFail(t, idled)
		// List neither touches nor revives: all idle out together.
		e.clock.Advance(idle)
		if list := mustList(t, e, user); len(list) != 0 {
			t.Errorf("List after every session idled out: %+v", list)
		}
		if n, _ := e.rdb.Exists(ctx, e.prefix+"sess:u:"+user.String()).Result(); n != 0 {
			t.Errorf("the user's session set survives its last session")
		}
	})
}

func mustList(t *testing.T, e *env, user uuid.UUID) []session.Session {
	t.Helper()
	list, err := e.store.List(context.Background(), user)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, s := range list {
		if s.UserID != user {
			t.Fatalf("List of %s holds a session of %s", user, s.UserID)
		}
	}
	return list
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Redis holds the token's hash, never the token: no key and no value under
// the prefix contains it.
func TestTokenNeverStored(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user := uuid.New()
		var tokens []string
		for range 3 {
			token, _ := e.login(t, user)
			e.mustLookup(t, token)
			tokens = append(tokens, token)
		}
		e.clock.Advance(touch)
		e.mustLookup(t, tokens[0])
		if err := e.store.Revoke(ctx, tokens[1]); err != nil {
			t.Fatal(err)
		}
		mustList(t, e, user)

		dump := dumpPrefix(t, e)
		if len(dump) == 0 {
			t.Fatal("no keys under the prefix: the test tests nothing")
		}
		for key, values := range dump {
			for _, token := range tokens {
				if strings.Contains(key, token) {
					t.Errorf("key %q holds a token", key)
				}
				for _, v := range values {
					if strings.Contains(v, token) {
						t.Errorf("a value of %q holds a token", key)
					}
				}
			}
		}
		for _, token := range []string{tokens[0], tokens[2]} {
			if _, ok := dump[e.prefix+"sess:t:"+hashOf(token)]; !ok {
				t.Errorf("no session key named by the token's SHA-256")
			}
		}
	})
}

// dumpPrefix returns every key under the test's prefix with its members,
// fields and values.
func dumpPrefix(t *testing.T, e *env) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	iter := e.rdb.Scan(ctx, 0, e.prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		typ, err := e.rdb.Type(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch typ {
		case "string":
			out[key] = []string{e.rdb.Get(ctx, key).Val()}
		case "hash":
			for f, v := range e.rdb.HGetAll(ctx, key).Val() {
				out[key] = append(out[key], f, v)
			}
		case "zset":
			out[key] = e.rdb.ZRange(ctx, key, 0, -1).Val()
		default:
			t.Fatalf("key %q of unexpected type %s", key, typ)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The Redis TTLs are durations from the store's clock, sane even when that
// clock is years away from real time.
func TestTTLs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user := uuid.New()
		pttl := func(key string) time.Duration {
			t.Helper()
			d, err := e.rdb.PTTL(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		inRange := func(what string, d, lo, hi time.Duration) {
			t.Helper()
			if d < lo || d > hi {
				t.Errorf("TTL of %s is %v, want in [%v, %v]", what, d, lo, hi)
			}
		}
		const slack = 5 * time.Second // real time passing during the test

		token, _ := e.login(t, user)
		sessKey := e.prefix + "sess:t:" + hashOf(token)
		userKey := e.prefix + "sess:u:" + user.String()
		inRange("a new session", pttl(sessKey), idle-slack, idle)
		inRange("the user set", pttl(userKey), absolute-slack, absolute)

		// A login decided 11h50m ago lives 10 more minutes.
		old, _, err := e.store.Create(ctx, user, e.clock.Now().Add(-absolute+10*time.Minute), session.Info{})
		if err != nil {
			t.Fatal(err)
		}
		inRange("a session near its absolute expiry", pttl(e.prefix+"sess:t:"+hashOf(old)), 10*time.Minute-slack, 10*time.Minute)
		inRange("the user set", pttl(userKey), absolute-slack, absolute)

		// A touch near the absolute expiry sets the TTL to what is left:
		// looked up every idle/3 (10m), the 71st touch is 10m before it.
		for range 70 {
			e.clock.Advance(idle / 3)
			e.mustLookup(t, token)
		}
		if err := e.rdb.Persist(ctx, sessKey).Err(); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(idle / 3)
		e.mustLookup(t, token)
		inRange("a session touched 10m before its absolute expiry", pttl(sessKey), 10*time.Minute-slack, 10*time.Minute)

		if _, err := e.store.RevokeUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		inRange("revoked-at", pttl(e.prefix+"sess:rv:"+user.String()), absolute-slack, absolute)
	})
}

// redisBackendMini is a miniredis for tests that need no backend matrix.
func redisBackendMini(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, "test:"
}
