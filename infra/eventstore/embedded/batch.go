package embedded

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.etcd.io/bbolt"
)

// batch is the writer's view of the store while it applies one group of
// requests in one write transaction. Requests see the effects of earlier
// requests of the same batch: stream states live in an overlay until flush,
// and everything else is read through the transaction, which sees its own
// writes. A batch belongs to the writer goroutine.
type batch struct {
	tx      *bbolt.Tx
	log     *bbolt.Bucket
	streams *bbolt.Bucket
	// seq is the last position handed out, including this batch's events.
	seq uint64
	// now is the Created time of every event of the batch.
	now time.Time
	// states holds every stream state the batch touched; dirty ones are
	// written by flush.
	states map[string]*batchState
	arena  arena
	// key is a reusable buffer for keys: bbolt copies keys it stores.
	key   []byte
	dirty bool
}

type batchState struct {
	streamState
	dirty bool
}

// begin readies b, which the writer reuses from batch to batch, for a new
// transaction.
func (b *batch) begin(tx *bbolt.Tx, seq uint64, now time.Time) {
	b.tx, b.seq, b.now, b.dirty = tx, seq, now, false
	b.log = tx.Bucket(bucketLog)
	// The log only ever grows at its end: fill its pages completely.
	b.log.FillPercent = 1.0
	b.streams = tx.Bucket(bucketStreams)
	// Appends go to the end of each stream's key range; splitting full
	// streams pages late measured faster than bbolt's default of 0.5.
	b.streams.FillPercent = streamsFillPercent
	if b.states == nil {
		b.states = make(map[string]*batchState)
	}
	clear(b.states)
	b.arena.reset()
}

// end drops b's references to the finished transaction.
func (b *batch) end() {
	b.tx, b.log, b.streams = nil, nil, nil
	clear(b.states)
}

const streamsFillPercent = 0.9

// state returns the batch's view of a stream's state; a stream that never
// existed has the zero state. Callers that change it call markDirty.
func (b *batch) state(stream string) (*batchState, error) {
	if st, ok := b.states[stream]; ok {
		return st, nil
	}
	st := &batchState{}
	b.key = stateKey(b.key[:0], stream)
	if v := b.streams.Get(b.key); v != nil {
		s, err := decodeState(v)
		if err != nil {
			return nil, fmt.Errorf("stream %q: %w", stream, err)
		}
		st.streamState = s
	}
	b.states[stream] = st
	return st, nil
}

func (b *batch) markDirty(st *batchState) {
	st.dirty = true
	b.dirty = true
}

// changed reports whether the batch has anything to commit.
func (b *batch) changed() bool { return b.dirty }

// appendEvent stores the encoded event rec with the given ID as the next
// event of stream and returns its global position.
func (b *batch) appendEvent(stream string, st *batchState, id uuid.UUID, rec []byte) (uint64, error) {
	b.seq++
	pos := b.seq
	rev := st.next
	st.next++
	b.markDirty(st)

	stampRecord(rec, rev, b.now)
	b.key = positionKey(b.key[:0], pos)
	if err := b.log.Put(b.key, rec); err != nil {
		return 0, fmt.Errorf("stream %q: put event: %w", stream, err)
	}
	b.key = indexKey(b.key[:0], stream, rev)
	val := append(positionKey(b.arena.alloc(indexValueLen)[:0], pos), id[:]...)
	if err := b.streams.Put(b.key, val); err != nil {
		return 0, fmt.Errorf("stream %q: put index: %w", stream, err)
	}
	return pos, nil
}

// flush writes the dirty stream states and the last position.
func (b *batch) flush() error {
	for stream, st := range b.states {
		if !st.dirty {
			continue
		}
		b.key = stateKey(b.key[:0], stream)
		if err := b.streams.Put(b.key, st.encode(b.arena.alloc(maxStateLen)[:0])); err != nil {
			return fmt.Errorf("stream %q: put state: %w", stream, err)
		}
	}
	seq := positionKey(b.arena.alloc(8)[:0], b.seq)
	if err := b.tx.Bucket(bucketMeta).Put(keySeq, seq); err != nil {
		return fmt.Errorf("put last position: %w", err)
	}
	return nil
}
