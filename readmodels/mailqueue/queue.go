// Package mailqueue is the Redis delayed queue of the mail outbox: the
// mails that events asked for and that are not delivered yet, each due at
// a time, claimed by a dispatcher for a lease while it delivers.
//
// # Key schema
//
// Every key starts with the Queue's prefix P.
//
//	P items  hash  event ID -> the Item as JSON. Written once by Enqueue
//	               (HSETNX), so a replayed event does not reset an item
//	               that is already waiting or retrying.
//	P due    zset  event ID scored by the time (unix milliseconds) the
//	               item is due: its first try, its next retry, or the end
//	               of the lease of the dispatcher that claimed it.
//
// An item is in both keys or in neither: Enqueue and Ack write both in one
// transaction, Claim and Retry are Lua scripts.
//
// # Delivery contract
//
// Claim hands an item to one caller at a time: it moves the item's due time
// to the end of a lease, atomically. A caller that acks or retries the item
// within the lease is the only one that saw it; a caller that dies leaves
// it to come back when the lease ends, so every item is delivered at least
// once. The queue forgets an acked item: a later Enqueue of the same event
// (a projector rebuild) queues it again, and the dispatcher's own record of
// deliveries is what keeps it from being sent twice.
package mailqueue

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Item is one mail to deliver: which event asked for it, and what the
// dispatcher needs to build it. It holds no address and no token: the
// dispatcher reads the recipient from the user's history and mints the
// link again, so no live credential or personal data waits in Redis.
type Item struct {
	// EventID is the ID of the event that asked for the mail: the queue's
	// key and the mail's dedup key.
	EventID string `json:"event_id"`
	// Kind is the mail's kind (infra/mail's KindInvitation, ...).
	Kind    string    `json:"kind"`
	UserID  uuid.UUID `json:"user_id"`
	TokenID uuid.UUID `json:"token_id"`
	// CorrelationID is the correlation ID of the causing event's metadata,
	// carried to the delivery record; it may be empty.
	CorrelationID string `json:"correlation_id,omitempty"`
	// Attempts counts the failed deliveries so far.
	Attempts int `json:"attempts,omitempty"`
}

// ErrNoEventID is returned by Enqueue for an Item without an EventID.
var ErrNoEventID = errors.New("mailqueue: item without an event ID")

// Queue is the mail queue. It is safe for concurrent use, also by several
// processes sharing the Redis server.
type Queue struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns the Queue keeping its keys under prefix (e.g.
// "usermgmt:mailqueue:").
func New(rdb redis.UniversalClient, prefix string) *Queue {
	return &Queue{rdb: rdb, prefix: prefix}
}

func (q *Queue) itemsKey() string { return q.prefix + "items" }
func (q *Queue) dueKey() string   { return q.prefix + "due" }

// score is t as a due score: unix milliseconds.
func score(t time.Time) float64 { return float64(t.UnixMilli()) }

// Enqueue queues the writes that add item, due at due, on pipe (a
// projector's MULTI/EXEC). It is idempotent: an item whose event ID is
// queued already keeps its due time and attempts.
func (q *Queue) Enqueue(ctx context.Context, pipe redis.Pipeliner, item Item, due time.Time) error {
	if item.EventID == "" {
		return ErrNoEventID
	}
	data, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("mailqueue: encode item %s: %w", item.EventID, err)
	}
	pipe.HSetNX(ctx, q.itemsKey(), item.EventID, data)
	pipe.ZAddNX(ctx, q.dueKey(), redis.Z{Score: score(due), Member: item.EventID})
	return nil
}

//go:embed claim.lua
var claimSource string

//go:embed retry.lua
var retrySource string

var (
	claimScript = redis.NewScript(claimSource)
	retryScript = redis.NewScript(retrySource)
)

// Claim takes up to max items due at now, oldest due first, and leases
// them to the caller until now+lease: until then no other Claim returns
// them. An item neither acked nor retried within its lease is due again
// when the lease ends.
func (q *Queue) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]Item, error) {
	if max <= 0 {
		return nil, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("mailqueue: claim: lease %v must be positive", lease)
	}
	raw, err := claimScript.Run(ctx, q.rdb, []string{q.dueKey(), q.itemsKey()},
		now.UnixMilli(), now.Add(lease).UnixMilli(), max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("mailqueue: claim: %w", err)
	}
	items := make([]Item, 0, len(raw))
	for _, s := range raw {
		var it Item
		if err := json.Unmarshal([]byte(s), &it); err != nil {
			return items, fmt.Errorf("mailqueue: claim: decode item: %w", err)
		}
		items = append(items, it)
	}
	return items, nil
}

// Ack removes the item of eventID from the queue: it was delivered, or
// given up. Acking an item that is not queued does nothing.
func (q *Queue) Ack(ctx context.Context, eventID string) error {
	pipe := q.rdb.TxPipeline()
	pipe.ZRem(ctx, q.dueKey(), eventID)
	pipe.HDel(ctx, q.itemsKey(), eventID)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("mailqueue: ack %s: %w", eventID, err)
	}
	return nil
}

// Retry stores item with one more attempt and makes it due at due. An item
// that is no longer queued (another dispatcher acked it after this one's
// lease ran out) stays gone.
func (q *Queue) Retry(ctx context.Context, item Item, due time.Time) error {
	item.Attempts++
	data, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("mailqueue: encode item %s: %w", item.EventID, err)
	}
	if err := retryScript.Run(ctx, q.rdb, []string{q.dueKey(), q.itemsKey()},
		item.EventID, data, due.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("mailqueue: retry %s: %w", item.EventID, err)
	}
	return nil
}

// Get returns the queued item of eventID and when it is due; ok is false
// when it is not queued.
func (q *Queue) Get(ctx context.Context, eventID string) (item Item, due time.Time, ok bool, err error) {
	pipe := q.rdb.Pipeline()
	data := pipe.HGet(ctx, q.itemsKey(), eventID)
	sc := pipe.ZScore(ctx, q.dueKey(), eventID)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Item{}, time.Time{}, false, fmt.Errorf("mailqueue: get %s: %w", eventID, err)
	}
	if data.Err() != nil || sc.Err() != nil {
		return Item{}, time.Time{}, false, nil
	}
	if err := json.Unmarshal([]byte(data.Val()), &item); err != nil {
		return Item{}, time.Time{}, false, fmt.Errorf("mailqueue: get %s: decode: %w", eventID, err)
	}
	return item, time.UnixMilli(int64(sc.Val())), true, nil
}

// Len is the number of queued items, claimed ones included.
func (q *Queue) Len(ctx context.Context) (int, error) {
	n, err := q.rdb.ZCard(ctx, q.dueKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("mailqueue: len: %w", err)
	}
	return int(n), nil
}

// Reset deletes the queue's keys, before the outbox projector is rebuilt
// from the start of the log.
func (q *Queue) Reset(ctx context.Context) error {
	if err := q.rdb.Unlink(ctx, q.dueKey(), q.itemsKey()).Err(); err != nil {
		return fmt.Errorf("mailqueue: reset: %w", err)
	}
	return nil
}
