package embedded

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

const (
	// requestQueueLen is the capacity of the writer's queue.
	requestQueueLen = 1024
	// maxBatch is the most requests one transaction applies.
	maxBatch = 1024
	// maxYields bounds how often the writer yields to let submitters in
	// before it starts a batch.
	maxYields = 64
)

// op is one write request's work inside a batch.
type op interface {
	// apply checks the request against the batch's view of the store and,
	// if it passes, stages its writes. A rejection (wrong expected
	// revision, tombstoned stream) goes into the outcome and must leave
	// the batch unchanged. A returned error is a storage failure that
	// aborts the whole batch.
	apply(b *batch) (outcome, error)
}

// outcome is the answer to one request.
type outcome struct {
	result eventstore.AppendResult
	err    error
}

type request struct {
	ctx   context.Context
	op    op
	reply chan outcome // buffered, receives exactly one outcome
}

// submit hands o to the writer and waits for its outcome. It gives up with
// ctx's error only while the request is still queued; once the writer has
// it, submit waits for the commit so the answer is never ambiguous.
func (s *Store) submit(ctx context.Context, o op) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.isClosing() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	req := &request{ctx: ctx, op: o, reply: make(chan outcome, 1)}
	select {
	case s.requests <- req:
	case <-ctx.Done():
		return eventstore.AppendResult{}, ctx.Err()
	case <-s.closing:
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	select {
	case out := <-req.reply:
		return out.result, out.err
	case <-s.writerDone:
		// The writer answers before it exits, so a request without an
		// answer now was never applied.
		select {
		case out := <-req.reply:
			return out.result, out.err
		default:
			return eventstore.AppendResult{}, eventstore.ErrClosed
		}
	}
}

// runWriter is the writer goroutine: it owns every write transaction until
// Close.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	var w writer
	for {
		select {
		case <-s.closing:
			return
		case req := <-s.requests:
			w.reqs = append(w.reqs[:0], req)
			s.letSubmittersIn()
			s.commit(&w)
			clear(w.reqs)
		}
	}
}

// letSubmittersIn yields the processor while requests keep arriving, so
// goroutines that are already runnable (typically the ones the previous
// batch just answered) can join the next batch. It never sleeps: a lone
// request costs one yield.
func (s *Store) letSubmittersIn() {
	queued := len(s.requests)
	for range maxYields {
		runtime.Gosched()
		n := len(s.requests)
		if n == queued || n >= maxBatch-1 {
			return
		}
		queued = n
	}
}

// drain appends the requests already waiting in the queue to w.reqs,
// without blocking, up to maxBatch, and reports whether it took any.
func (s *Store) drain(w *writer) bool {
	n := len(w.reqs)
	for len(w.reqs) < maxBatch {
		select {
		case req := <-s.requests:
			w.reqs = append(w.reqs, req)
		default:
			return len(w.reqs) > n
		}
	}
	return len(w.reqs) > n
}

// writer holds buffers the writer goroutine reuses from batch to batch.
type writer struct {
	reqs  []*request
	outs  []outcome
	batch batch
}

// commit applies w.reqs, and every request that arrives while it applies
// them, in one transaction and answers each request after the transaction
// committed (or failed).
func (s *Store) commit(w *writer) {
	seq, committed, err := s.applyBatch(w)
	outs := w.outs[:len(w.reqs)]
	switch {
	case err != nil:
		s.log.Error("event store batch failed", "path", s.path, "requests", len(w.reqs), "err", err)
		for i := range outs {
			outs[i] = outcome{err: err}
		}
	case committed:
		s.seq = seq
		s.broadcastCommit()
	}
	for i, req := range w.reqs {
		req.reply <- outs[i]
	}
	clear(outs)
}

// applyBatch runs w.reqs in one bbolt write transaction, filling w.outs,
// and returns the last position handed out and whether it committed.
// Whenever it has applied every request it holds, it drains the queue
// again: requests that arrive while a batch is being applied join it
// instead of waiting for the next fsync, and a lone request is committed
// at once. A transaction in which every request was rejected or changed
// nothing is rolled back instead.
func (s *Store) applyBatch(w *writer) (seq uint64, committed bool, err error) {
	if cap(w.outs) < maxBatch {
		w.outs = make([]outcome, maxBatch)
	}
	tx, err := s.db.Begin(true)
	if err != nil {
		return s.seq, false, fmt.Errorf("event store %s: begin write: %w", s.path, err)
	}
	b := &w.batch
	b.begin(tx, s.seq, time.Now().UTC())
	defer b.end()
	for i := 0; i < len(w.reqs) || s.drain(w); i++ {
		req := w.reqs[i]
		if err := req.ctx.Err(); err != nil {
			w.outs[i] = outcome{err: err}
			continue
		}
		out, err := req.op.apply(b)
		if err != nil {
			_ = tx.Rollback()
			return s.seq, false, fmt.Errorf("event store %s: %w", s.path, err)
		}
		w.outs[i] = out
	}
	if !b.changed() {
		_ = tx.Rollback()
		return s.seq, false, nil
	}
	if err := b.flush(); err != nil {
		_ = tx.Rollback()
		return s.seq, false, fmt.Errorf("event store %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return s.seq, false, fmt.Errorf("event store %s: commit: %w", s.path, err)
	}
	return b.seq, true, nil
}
