// Package loginhistory is the Redis read model of each user's login
// attempts, newest first, for the admin's "login history" view and the
// user's last login.
//
// # Key schema
//
// Every key starts with the Store's prefix P.
//
//	P h:<userID>     zset  the user's attempts. Score: the event's commit
//	                       position; member: the entry as compact JSON
//	                       (see member), which holds the position too, so
//	                       members are unique and a replayed event writes
//	                       the same member with the same score (a no-op).
//	                       Capped at MaxEntries: each Add trims the oldest
//	                       (lowest positions) with ZREMRANGEBYRANK.
//	P last:<userID>  zset  the user's newest successful login, the same
//	                       member as in h; at most one member (each Add of
//	                       a success trims all but the highest position),
//	                       so a replayed older success cannot displace a
//	                       newer one.
//
// Positions are the global log's commit positions: unique per attempt,
// because every append records at most one attempt, and increasing, so they
// order the history and make the cursor stable while new attempts arrive.
// Scores are float64, exact for positions below 2^53 (the embedded store
// counts events; EventStoreDB's byte offsets would need a 9 PB log).
package loginhistory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/readmodels/keyspace"
)

// MaxEntries is how many attempts are kept per user; older ones are
// dropped. The event store keeps them all for audits.
const MaxEntries = 1000

// Page sizes of List.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

var (
	// ErrInvalidQuery: a List parameter is invalid (HTTP 400).
	ErrInvalidQuery = errors.New("loginhistory: invalid query")
	// ErrInvalidCursor: the cursor was not issued by List. It is also an
	// ErrInvalidQuery.
	ErrInvalidCursor = fmt.Errorf("%w: invalid cursor", ErrInvalidQuery)
	// ErrInvalidLimit: the limit is outside 0..MaxLimit. It is also an
	// ErrInvalidQuery.
	ErrInvalidLimit = fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalidQuery, MaxLimit)
)

// Entry is one login attempt.
type Entry struct {
	At      time.Time
	Success bool
	// Reason is why a failed attempt failed (auth.FailureReason values);
	// empty for a success.
	Reason    string
	IP        string
	UserAgent string
	Device    string
	Browser   string
	OS        string
	// Position is the commit position of the attempt's event: unique, and
	// the order of the history.
	Position uint64
}

// Page is one page of a user's history, newest first. NextCursor is empty
// on the last page.
type Page struct {
	Entries    []Entry
	NextCursor string
}

// Store is the login history read model. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Store keeping its keys under prefix (e.g.
// "usermgmt:logins:").
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) historyKey(id uuid.UUID) string { return s.prefix + "h:" + id.String() }
func (s *Store) lastKey(id uuid.UUID) string    { return s.prefix + "last:" + id.String() }

// member is the stored form of an Entry, with short names: a user's
// history holds up to MaxEntries of them.
type member struct {
	Position  uint64    `json:"p"`
	At        time.Time `json:"t"`
	Success   bool      `json:"ok,omitempty"`
	Reason    string    `json:"r,omitempty"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"ua,omitempty"`
	Device    string    `json:"d,omitempty"`
	Browser   string    `json:"b,omitempty"`
	OS        string    `json:"os,omitempty"`
}

func encodeMember(e Entry) string {
	data, err := json.Marshal(member{
		Position: e.Position, At: e.At.UTC(), Success: e.Success, Reason: e.Reason,
		IP: e.IP, UserAgent: e.UserAgent, Device: e.Device, Browser: e.Browser, OS: e.OS,
	})
	if err != nil {
		panic(fmt.Sprintf("loginhistory: marshal entry: %v", err)) // strings, a bool, a number and a time cannot fail
	}
	return string(data)
}

func decodeMember(s string) (Entry, error) {
	var m member
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return Entry{}, fmt.Errorf("loginhistory: decode entry: %w", err)
	}
	return Entry{
		At: m.At, Success: m.Success, Reason: m.Reason, IP: m.IP, UserAgent: m.UserAgent,
		Device: m.Device, Browser: m.Browser, OS: m.OS, Position: m.Position,
	}, nil
}

// Add queues the writes that record e in the user's history on pipe (the
// projector's MULTI/EXEC). It is idempotent: adding the same entry again
// changes nothing.
func (s *Store) Add(ctx context.Context, pipe redis.Pipeliner, userID uuid.UUID, e Entry) {
	z := redis.Z{Score: float64(e.Position), Member: encodeMember(e)}
	h := s.historyKey(userID)
	pipe.ZAdd(ctx, h, z)
	pipe.ZRemRangeByRank(ctx, h, 0, -(MaxEntries + 1))
	if e.Success {
		last := s.lastKey(userID)
		pipe.ZAdd(ctx, last, z)
		pipe.ZRemRangeByRank(ctx, last, 0, -2)
	}
}

// Remove queues the deletion of the user's history on pipe, for a person
// whose data is erased.
func (s *Store) Remove(ctx context.Context, pipe redis.Pipeliner, userID uuid.UUID) {
	pipe.Unlink(ctx, s.historyKey(userID), s.lastKey(userID))
}

// List returns a page of the user's history, newest first, after cursor
// (empty: from the newest). limit is 1..MaxLimit, 0 meaning DefaultLimit.
// A cursor keeps its place while new attempts arrive: the next page
// continues right after the last entry of the previous one. A user without
// history has an empty page.
func (s *Store) List(ctx context.Context, userID uuid.UUID, cursor string, limit int) (Page, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return Page{}, ErrInvalidLimit
	}
	maxScore := "+inf"
	if cursor != "" {
		pos, err := decodeCursor(cursor)
		if err != nil {
			return Page{}, err
		}
		maxScore = "(" + strconv.FormatUint(pos, 10)
	}
	raw, err := s.rdb.ZRevRangeByScore(ctx, s.historyKey(userID), &redis.ZRangeBy{
		Max: maxScore, Min: "-inf", Count: int64(limit) + 1,
	}).Result()
	if err != nil {
		return Page{}, fmt.Errorf("loginhistory: list: %w", err)
	}
	var page Page
	for _, m := range raw[:min(len(raw), limit)] {
		e, err := decodeMember(m)
		if err != nil {
			return Page{}, err
		}
		page.Entries = append(page.Entries, e)
	}
	if len(raw) > limit {
		page.NextCursor = encodeCursor(page.Entries[limit-1].Position)
	}
	return page, nil
}

// LastLogin is the time of the user's newest successful login, zero if
// there was none. It is kept apart from the history, so a flood of failed
// attempts that pushes the success out of the capped history does not
// lose it.
func (s *Store) LastLogin(ctx context.Context, userID uuid.UUID) (time.Time, error) {
	raw, err := s.rdb.ZRevRange(ctx, s.lastKey(userID), 0, 0).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("loginhistory: last login: %w", err)
	}
	if len(raw) == 0 {
		return time.Time{}, nil
	}
	e, err := decodeMember(raw[0])
	if err != nil {
		return time.Time{}, err
	}
	return e.At, nil
}

// Reset deletes the whole read model (every key under the prefix), before
// a rebuild from the start of the log.
func (s *Store) Reset(ctx context.Context) error {
	_, err := keyspace.DeletePrefix(ctx, s.rdb, s.prefix)
	return err
}
