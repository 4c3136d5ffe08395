package httpapi

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// revisionedUsers is a UserLoader whose streams' revisions the test sets;
// every Load folds a new *user.User.
type revisionedUsers struct {
	revs  map[uuid.UUID]int64
	loads int
	fail  error
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
	return &user.User{}, rev, err
}

func TestUserCache(t *testing.T) {
	ctx := context.Background()
	a, b, ghost := uuid.New(), uuid.New(), uuid.New()
	src := &revisionedUsers{revs: map[uuid.UUID]int64{a: 3, b: 0}}
	c := newUserCache(src, 2)

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

	// A user with no stream is never kept: every request asks again.
	load(ghost, eventstore.NoRevision, 3)
	load(ghost, eventstore.NoRevision, 4)

	// The bound: a third user pushes one of the two out.
	load(b, 0, 5)
	third := uuid.New()
	src.revs[third] = 7
	load(third, 7, 6)
	if len(c.users) != 2 {
		t.Fatalf("%d users kept, want the bound 2", len(c.users))
	}

	src.fail = errors.New("event store down")
	if _, _, err := c.Load(ctx, a); !errors.Is(err, src.fail) {
		t.Fatalf("revision read failing: %v, want its error and no cached user", err)
	}
}
