package lockexpiry_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/lockexpiry"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// fakeList pages through docs two at a time and checks the query.
type fakeList struct {
	t    *testing.T
	docs []users.Doc
}

func (f fakeList) Search(_ context.Context, q users.Query) (users.Page, error) {
	if !slices.Equal(q.Locks, []string{users.LockLocked}) {
		f.t.Fatalf("query without the lock filter: %+v", q)
	}
	from := 0
	if q.Cursor != "" {
		from = int(q.Cursor[0] - '0')
	}
	to := min(from+2, len(f.docs))
	p := users.Page{Users: f.docs[from:to]}
	if to < len(f.docs) {
		p.NextCursor = string(rune('0' + to))
	}
	return p, nil
}

type fakeExpirer struct{ called []uuid.UUID }

func (f *fakeExpirer) ExpireLock(_ context.Context, md commands.Metadata, id uuid.UUID) (commands.Result, error) {
	f.called = append(f.called, id)
	return commands.Result{ID: id, Appended: md.ActorKind == commands.ActorSystem}, nil
}

func TestSweepExpiresOnlyLapsedTemporaryLocks(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	doc := func(until time.Time) users.Doc {
		return users.Doc{ID: uuid.New(), Locked: true, LockedUntil: until}
	}
	lapsed1, lapsed2 := doc(now.Add(-time.Minute)), doc(now)
	docs := []users.Doc{doc(now.Add(time.Minute)), lapsed1, doc(time.Time{}), lapsed2, doc(now.Add(time.Hour))}
	exp := &fakeExpirer{}
	n, err := lockexpiry.Sweep(context.Background(), fakeList{t: t, docs: docs}, exp, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || !slices.Equal(exp.called, []uuid.UUID{lapsed1.ID, lapsed2.ID}) {
		t.Fatalf("expired %d: %v, want %v and %v", n, exp.called, lapsed1.ID, lapsed2.ID)
	}
}
