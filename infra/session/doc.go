// Package session keeps the bearer sessions that POST /v1/auth/login hands
// out: opaque random tokens (not JWTs) whose state lives in Redis, so a
// session can be revoked at once and a user's sessions all together.
//
// # Tokens
//
// A token is 32 bytes from crypto/rand, base64url without padding (43
// characters). Redis holds only the SHA-256 of the token; the token itself
// never appears in a key, a value, a log line or an error. A Session's ID is
// the first 16 hex characters of that hash: it names the session in lists
// and logs and revokes it (RevokeID), but cannot be used to authenticate.
//
// # Expiry
//
// A session ends when it has been idle for Config.Idle (sliding: every
// Lookup of a live session extends it) or at Config.Absolute after its
// creation, whichever comes first. To keep lookups cheap, a Lookup rewrites
// the last-seen time only when max(Idle/10, 1s) has passed since the last
// rewrite, so the idle window a client sees may be up to a tenth shorter.
// Times in Redis are Unix milliseconds read from Config.Now, so tests can
// drive a fake clock; the Redis TTLs on the keys are durations computed from
// the same clock, so abandoned sessions disappear even under a fake clock
// far from real time. Expiry is always decided from the stored times, never
// from a key's TTL.
//
// # Revocation
//
// Revoke ends one session, RevokeID one session of a user by its ID, and
// RevokeUser every session of a user in one atomic script. RevokeUser also
// records the instant of the revocation for the user; a session created
// (that is, whose login was decided) at or before that instant is refused
// by Create (ErrRevoked) and by Lookup. This closes the race in which a
// login decided just before a suspension stores its session just after the
// suspension revoked the user's sessions.
//
// # Concurrency and cost
//
// A Store is safe for concurrent use. Every operation is one Lua script run
// (EVALSHA) and so one round trip and atomic in Redis: once RevokeUser
// returns, no Lookup of the user's sessions succeeds.
package session
