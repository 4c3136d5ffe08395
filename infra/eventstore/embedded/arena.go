package embedded

// arena hands out byte slices for the values of one write transaction.
// bbolt keeps the values passed to Put (but copies keys) until the
// transaction ends, so each needs its own memory; carving them from large
// chunks saves an allocation per value. reset makes the memory reusable once the
// transaction is over. An arena belongs to the writer goroutine.
type arena struct {
	chunk []byte
}

const arenaChunk = 64 << 10

// alloc returns n bytes that stay untouched until reset.
func (a *arena) alloc(n int) []byte {
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, max(n, arenaChunk))
	}
	start := len(a.chunk)
	a.chunk = a.chunk[:start+n]
	return a.chunk[start : start+n : start+n]
}

// reset recycles the current chunk; earlier chunks are left to the garbage
// collector.
func (a *arena) reset() { a.chunk = a.chunk[:0] }
