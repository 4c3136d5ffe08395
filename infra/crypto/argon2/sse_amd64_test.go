//go:build amd64 && gc && !purego

package argon2

import "testing"

// TestVectorsWithoutSSE4 runs the vectors on the amd64 path for CPUs
// without SSE4.1 (SSE2 mixing, generic BlaMka), as upstream's tests do.
func TestVectorsWithoutSSE4(t *testing.T) {
	if !useSSE4 {
		t.Skip("this CPU has no SSE4.1: TestVectors already ran this path")
	}
	useSSE4 = false
	defer func() { useSSE4 = true }()
	TestVectors(t)
	TestRFC9106(t)
}
