package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
)

// ErrNotFound: no organization with that ID is in the read model. It
// matches domain.ErrNotFound.
var ErrNotFound = fmt.Errorf("orgs: organization %w", domain.ErrNotFound)

// Org is an organization as the read model shows it.
type Org struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Archived bool      `json:"archived"`
	Created  time.Time `json:"created"`
	// Revision is the revision of the organization's stream that the
	// document reflects (the ETag of the write side); -1 before any event.
	Revision int64  `json:"revision"`
	Teams    []Team `json:"teams"` // live teams, by name (case-insensitively), then ID
}

// Team is a live team of an organization.
type Team struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Store is the organization read model in Redis. It is safe for concurrent
// use. All its keys start with its prefix (see keys).
type Store struct {
	rdb  redis.UniversalClient
	keys keys
}

// indexLua moves an organization's sort member: it removes the member
// recorded for the ID from both indexes and adds the new one, to s:live
// only while the organization is live. Running in the projector's
// MULTI/EXEC, it needs no read before the transaction. It is sent with EVAL
// rather than EVALSHA because a NOSCRIPT reply inside a transaction would
// fail the whole batch.
//
// KEYS: names, s:all, s:live. ARGV: id, member, "1" if live else "0".
const indexLua = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  redis.call('ZREM', KEYS[2], old)
  redis.call('ZREM', KEYS[3], old)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[3], 0, ARGV[2])
end
return 1
`

// New returns a Store keeping its keys under prefix (e.g.
// "usermgmt:orgs:").
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, keys: keys{prefix: prefix}}
}

// Put queues the writes that store o (document, sort indexes, team index)
// on pipe, which should be a MULTI/EXEC pipeline; nothing is read first.
// Teams are stored in their display order. Putting the same document
// again changes nothing.
func (s *Store) Put(ctx context.Context, pipe redis.Pipeliner, o Org) error {
	if o.ID == "" {
		return errors.New("orgs: put an organization without ID")
	}
	o.Teams = slices.Clone(o.Teams)
	sortTeams(o.Teams)
	if o.Teams == nil {
		o.Teams = []Team{}
	}
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("orgs: encode %q: %w", o.ID, err)
	}
	pipe.Set(ctx, s.keys.doc(o.ID), data, 0)
	live := "1"
	if o.Archived {
		live = "0"
	}
	pipe.Eval(ctx, indexLua, []string{s.keys.names(), s.keys.all(), s.keys.live()}, o.ID, sortMember(o.Name, o.ID), live)
	if len(o.Teams) > 0 {
		fields := make([]any, 0, 2*len(o.Teams))
		for _, t := range o.Teams {
			fields = append(fields, teamField(t.ID), o.ID)
		}
		pipe.HSet(ctx, s.keys.teams(), fields...)
	}
	return nil
}

// Get returns the organization id, or an error matching ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Org, error) {
	data, err := s.rdb.Get(ctx, s.keys.doc(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Org{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return Org{}, fmt.Errorf("orgs: get %q: %w", id, err)
	}
	return decode(id, data)
}

// Team finds a live team by ID: its organization's ID and the team. found
// is false for an unknown or deleted team.
func (s *Store) Team(ctx context.Context, teamID uuid.UUID) (orgID string, team Team, found bool, err error) {
	orgID, err = s.rdb.HGet(ctx, s.keys.teams(), teamField(teamID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", Team{}, false, nil
	}
	if err != nil {
		return "", Team{}, false, fmt.Errorf("orgs: team %s: %w", teamID, err)
	}
	o, err := s.Get(ctx, orgID)
	if errors.Is(err, ErrNotFound) {
		return "", Team{}, false, nil
	}
	if err != nil {
		return "", Team{}, false, err
	}
	for _, t := range o.Teams {
		if t.ID == teamID {
			return orgID, t, true, nil
		}
	}
	return "", Team{}, false, nil
}

func decode(id string, data []byte) (Org, error) {
	var o Org
	if err := json.Unmarshal(data, &o); err != nil {
		return Org{}, fmt.Errorf("orgs: decode %q: %w", id, err)
	}
	return o, nil
}

// sortTeams puts teams in display order: by name, case-insensitively, then
// by ID.
func sortTeams(teams []Team) {
	slices.SortFunc(teams, func(a, b Team) int {
		if c := strings.Compare(foldName(a.Name), foldName(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
}
