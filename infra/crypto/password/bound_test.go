package password

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/crypto/argon2"
)

// TestConcurrencyIsBounded fills every hashing slot and checks that another
// caller waits instead of hashing, gives up when its context ends, and
// proceeds as soon as a slot frees.
func TestConcurrencyIsBounded(t *testing.T) {
	params := OWASP
	params.Memory = 1024
	h := NewHasher(params, 2)
	taken := []*argon2.Memory{<-h.slots, <-h.slots}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with all slots taken: err = %v, want it to wait and give up", err)
	}
	if _, err := h.Verify(ctx, "pw", "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify with all slots taken: err = %v, want it to wait and give up", err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "pw")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash ran with no free slot (err %v)", err)
	case <-time.After(30 * time.Millisecond):
	}
	h.slots <- taken[0] // free one slot
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Hash still waiting after a slot was freed")
	}
}
