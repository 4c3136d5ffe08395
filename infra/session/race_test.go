package session_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/session"
)

// 50 goroutines look up a user's sessions while RevokeUser runs: every
// lookup that starts after RevokeUser returned fails.
func TestRevokeUserRacesLookups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		user, other := uuid.New(), uuid.New()
		var tokens []string
		for range 5 {
			token, _ := e.login(t, user)
			tokens = append(tokens, token)
		}
		otherToken, _ := e.login(t, other)

		var (
			revoked  atomic.Bool
			okBefore atomic.Int64
			failures = make(chan string, 50)
			wg       sync.WaitGroup
		)
		for g := range 50 {
			wg.Go(func() {
				token := tokens[g%len(tokens)]
				for after := 0; after < 20; {
					revokedBefore := revoked.Load()
					_, err := e.store.Lookup(ctx, token)
					switch {
					case revokedBefore && err == nil:
						failures <- "a lookup that started after RevokeUser returned succeeded"
						return
					case err != nil && !errors.Is(err, session.ErrInvalid):
						failures <- "lookup: " + err.Error()
						return
					case !revokedBefore && err == nil:
						okBefore.Add(1)
					}
					if revokedBefore {
						after++
					}
				}
			})
		}
		deadline := time.Now().Add(10 * time.Second)
		for okBefore.Load() < 200 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if okBefore.Load() == 0 {
			t.Fatal("no lookup succeeded before the revocation")
		}
		n, err := e.store.RevokeUser(ctx, user)
		revoked.Store(true)
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Error(f)
		}
		if err != nil {
			t.Fatalf("RevokeUser: %v", err)
		}
		if n != len(tokens) {
			t.Errorf("RevokeUser ended %d sessions, want %d", n, len(tokens))
		}
		e.mustLookup(t, otherToken)
	})
}
