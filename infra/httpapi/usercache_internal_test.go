package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// revisionedUsers is a UserLoader whose streams' revisions the test sets;
// every Load folds a new *user.User, deleted for the ids in deleted.
// loadRev, when set, is the revision Load answers instead (a Load that
// raced with a later one).
type revisionedUsers struct {
	revs    map[uuid.UUID]int64
	deleted map[uuid.UUID]bool
	loadRev *int64
	loads   int
	fail    error
}

func (f *revisionedUsers) Revision(_ context.Context, id uuid.UUID) (int64, error) {
	if f.fail != nil {
		return 0, f.fail
	}
	if rev, ok := f.revs[id]; ok {
		return rev, nil
	}
	return eventstore.NoRevision, nil
}

func (f *revisionedUsers) Load(ctx context.Context, id uuid.UUID) (*user.User, int64, error) {
	f.loads++
	rev, err := f.Revision(ctx, id)
	if f.loadRev != nil {
		rev = *f.loadRev
	}
	history := []domain.Event{user.Created{UserID: id, PII: user.PII{Email: "u@example.com"}}}
	if f.deleted[id] {
		history = append(history, user.Deleted{UserID: id, DataHandling: user.Anonymize})
	}
	u, lerr := user.Load(history...)
	return u, rev, errors.Join(err, lerr)
}

func TestUserCache(t *testing.T) {
	ctx := context.Background()
	a, b, ghost, gone := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	src := &revisionedUsers{revs: map[uuid.UUID]int64{a: 3, b: 0, gone: 1}, deleted: map[uuid.UUID]bool{}}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := newUserCache(src, 3, time.Minute)
	c.now = func() time.Time { return now }

	load := func(id uuid.UUID, wantRev int64, wantLoads int) *user.User {
		t.Helper()
		u, rev, err := c.Load(ctx, id)
		if err != nil || rev != wantRev || src.loads != wantLoads {
			t.Fatalf("Load(%s) = rev %d, %v after %d folds; want rev %d after %d folds", id, rev, err, src.loads, wantRev, wantLoads)
		}
		return u
	}

	first := load(a, 3, 1)
	if again := load(a, 3, 1); again != first {
		t.Fatal("same revision: a new user, want the folded one")
	}
	src.revs[a] = 4 // the user changed: suspended, roles, password
	if moved := load(a, 4, 2); moved == first {
		t.Fatal("revision moved: the old fold was served")
	}
	load(a, 4, 2)

	// A fold that raced with a later one does not replace it.
	src.revs[a], src.loadRev = 5, new(int64(3))
	load(a, 3, 3)
	src.revs[a], src.loadRev = 4, nil
	load(a, 4, 3)

	// A user with no stream is never kept: every request asks again; a
	// stream that went away drops its fold.
	load(ghost, eventstore.NoRevision, 4)
	load(ghost, eventstore.NoRevision, 5)
	load(gone, 1, 6)
	delete(src.revs, gone)
	load(gone, eventstore.NoRevision, 7)
	if _, kept := c.users[gone]; kept {
		t.Fatal("a user whose stream went away is still kept")
	}

	// A deleted user (its data anonymized) is not kept either.
	src.revs[gone], src.deleted[gone] = 2, true
	load(gone, 2, 8)
	load(gone, 2, 9)
	if _, kept := c.users[gone]; kept {
		t.Fatal("a deleted user is kept")
	}

	// The bound: with a and b kept, a third and a fourth user push one
	// out; each new one is then served without another fold.
	load(b, 0, 10)
	third, fourth := uuid.New(), uuid.New()
	src.revs[third], src.revs[fourth] = 7, 1
	load(third, 7, 11)
	load(fourth, 1, 12)
	if len(c.users) != 3 {
		t.Fatalf("%d users kept, want the bound 3", len(c.users))
	}
	load(fourth, 1, 12)

	// The TTL: a sweep, at most once per TTL, drops the folds that are
	// older; a fold that ages past it between sweeps is folded again.
	now = now.Add(50 * time.Second)
	src.revs[third] = 8
	load(third, 8, 13) // folded at +50 s
	now = now.Add(10 * time.Second)
	load(fourth, 1, 14) // the sweep at +60 s drops every fold of +0 s
	if len(c.users) != 2 {
		t.Fatalf("%d users kept after the sweep, want the 2 folded since", len(c.users))
	}
	now = now.Add(55 * time.Second)
	load(third, 8, 15) // 65 s old, and no sweep is due before +120 s
	load(fourth, 1, 15)

	src.fail = errors.New("event store down")
	if _, _, err := c.Load(ctx, fourth); !errors.Is(err, src.fail) {
		t.Fatalf("revision read failing: %v, want its error and no cached user", err)
	}
}
