// Package lockexpiry records the end of temporary account locks. A lock
// ends by time, which no event marks; the user list's "locked" filter is
// built from events, so without this it would keep showing users whose
// lock ran out until they log in or an admin clears it. The sweeper asks
// the user list for locked users whose lock end has passed and has the
// auth command handler record auth.lock_expired for each (the aggregate
// decides, so a sweep that races a login or a second sweeper is harmless).
package lockexpiry

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// LockedUsers finds users on the read side.
type LockedUsers interface {
	Search(ctx context.Context, q users.Query) (users.Page, error)
}

// Expirer records lapsed locks on the write side.
type Expirer interface {
	ExpireLock(ctx context.Context, md commands.Metadata, userID uuid.UUID) (commands.Result, error)
}

// Sweep records every lapsed temporary lock the user list still shows and
// returns how many it recorded.
func Sweep(ctx context.Context, list LockedUsers, exp Expirer, now time.Time) (int, error) {
	q := users.Query{Locks: []string{users.LockLocked}, Statuses: []string{"active", "suspended", "deleted"}, Limit: users.MaxLimit}
	var lapsed []uuid.UUID
	for {
		page, err := list.Search(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("lock expiry: list locked users: %w", err)
		}
		for _, d := range page.Users {
			if d.Locked && !d.LockedUntil.IsZero() && !now.Before(d.LockedUntil) {
				lapsed = append(lapsed, d.ID)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	n := 0
	md := commands.System("lock-expiry")
	for _, id := range lapsed {
		res, err := exp.ExpireLock(ctx, md, id)
		if err != nil {
			return n, fmt.Errorf("lock expiry: user %s: %w", id, err)
		}
		if res.Appended {
			n++
		}
	}
	return n, nil
}

// Run sweeps every interval until ctx is done, logging failures.
func Run(ctx context.Context, list LockedUsers, exp Expirer, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n, err := Sweep(ctx, list, exp, now)
			if err != nil && ctx.Err() == nil {
				logger.Warn("lock expiry sweep failed", "error", err)
			}
			if n > 0 {
				logger.Info("recorded lapsed account locks", "count", n)
			}
		}
	}
}
