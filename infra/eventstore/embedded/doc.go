// Package embedded is the default event store: a single bbolt file that
// needs no server.
//
// # File layout
//
// The file holds three buckets:
//
//   - "meta": the magic string and format version written when the file is
//     created, and the last global position handed out ("seq").
//   - "log": the global log. Keys are 8-byte big-endian positions 1, 2, 3,
//     ...; values are events in the compact binary record format of
//     record.go. Positions are dense: Position.Commit == Position.Prepare ==
//     the key.
//   - "streams": per-stream data under keys that start with the stream name.
//     name+0x00+revision (8 bytes, big-endian) maps a stream revision to its
//     global position and event ID (the stream index); name+0x01 holds the
//     stream's state (next revision, soft-delete mark, tombstone flag,
//     metadata). Stream names may not contain 0x00, so one stream's keys never
//     collide with another's, and the state sits right after the stream's
//     newest index entries, usually on the same page.
//
// # Writes
//
// One writer goroutine owns every write transaction. Append, DeleteStream,
// TombstoneStream and SetStreamMetadata send requests to it. It takes one,
// yields the processor for as long as more requests keep arriving, and
// applies them in a single bbolt transaction, draining the queue again
// whenever it has applied all it holds (up to 1,024 requests). It then
// commits, with bbolt's two fsyncs, and answers each request only after the
// commit returned. There are no timers: a lone request is committed at
// once. Each request is checked on its own: a rejected request writes
// nothing and does not affect the others in its batch; a failed commit
// fails every request of the batch.
//
// # Reads
//
// Reads run in their own read-only transactions and never wait for the
// writer. Subscriptions read the log page by page and sleep on a channel the
// writer closes after each commit.
package embedded
