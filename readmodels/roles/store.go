package roles

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/role"
)

// Role is one role as the read side shows it.
type Role struct {
	Key         string
	Name        string
	Description string
	// Permissions are sorted, without duplicates.
	Permissions []role.Permission
	// BuiltIn roles come from role.BuiltIn(); they have zero times and
	// Revision -1 (no stream, nothing to send as If-Match).
	BuiltIn bool
	// Deleted custom roles grant nothing; their keys are never reused.
	Deleted bool
	Created time.Time
	// Updated is the time of the role's last event.
	Updated time.Time
	// Revision is the revision of the role's stream this doc reflects (the
	// ETag an If-Match can send back).
	Revision int64
}

// Definition returns the role as the role catalogue resolves it.
func (r Role) Definition() role.Definition {
	return role.Definition{Key: r.Key, Name: r.Name, Description: r.Description, Permissions: slices.Clone(r.Permissions), BuiltIn: r.BuiltIn}
}

// Store is the role catalogue read model in Redis. It is safe for
// concurrent use. All its keys start with its prefix (see the package doc).
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Store keeping its keys under prefix (e.g. "usermgmt:roles:").
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) docsKey() string      { return s.prefix + "docs" }
func (s *Store) catalogueKey() string { return s.prefix + "catalogue" }

// Put queues the writes that store the custom role r on pipe (a MULTI/EXEC
// pipeline of the projector); it reads nothing. A live role enters the
// catalogue, a deleted one leaves it. Built-in roles are never stored: Put
// queues nothing for them, nor for an empty key.
func (s *Store) Put(ctx context.Context, pipe redis.Pipeliner, r Role) {
	if r.BuiltIn || r.Key == "" {
		return
	}
	pipe.HSet(ctx, s.docsKey(), r.Key, encodeDoc(r))
	if r.Deleted {
		pipe.HDel(ctx, s.catalogueKey(), r.Key)
		return
	}
	pipe.HSet(ctx, s.catalogueKey(), r.Key, encodeDefinition(r))
}

// Get returns the role with the key: a built-in one, or a custom one as
// last put, deleted ones included (Deleted set). An unknown key answers an
// error wrapping domain.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (Role, error) {
	if r, ok := builtIn(key); ok {
		return r, nil
	}
	raw, err := s.rdb.HGet(ctx, s.docsKey(), key).Result()
	if errors.Is(err, redis.Nil) {
		return Role{}, fmt.Errorf("roles: get %q: %w", key, domain.ErrNotFound)
	}
	if err != nil {
		return Role{}, fmt.Errorf("roles: get %q: %w", key, err)
	}
	r, err := decodeDoc(key, raw)
	if err != nil {
		return Role{}, fmt.Errorf("roles: get %q: %w", key, err)
	}
	return r, nil
}

// Stored returns the custom roles stored under the given keys, in one round
// trip; keys without a stored role are left out. The projector folds new
// events onto these docs.
func (s *Store) Stored(ctx context.Context, keys ...string) (map[string]Role, error) {
	out := make(map[string]Role, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.docsKey(), keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("roles: read %d roles: %w", len(keys), err)
	}
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue // nil: not stored
		}
		r, err := decodeDoc(keys[i], raw)
		if err != nil {
			return nil, fmt.Errorf("roles: read %q: %w", keys[i], err)
		}
		out[keys[i]] = r
	}
	return out, nil
}

// List returns every role: the built-in ones first, then the custom ones,
// each group by key (the order of role.Catalogue.Roles). Deleted custom
// roles are included only when includeDeleted is set.
func (s *Store) List(ctx context.Context, includeDeleted bool) ([]Role, error) {
	all, err := s.rdb.HGetAll(ctx, s.docsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("roles: list: %w", err)
	}
	builtIns := role.BuiltIn()
	out := make([]Role, 0, len(builtIns)+len(all))
	for _, d := range builtIns {
		out = append(out, fromBuiltIn(d))
	}
	byKey := func(a, b Role) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(out, byKey)
	custom := make([]Role, 0, len(all))
	for key, raw := range all {
		r, err := decodeDoc(key, raw)
		if err != nil {
			return nil, fmt.Errorf("roles: list: %q: %w", key, err)
		}
		if r.Deleted && !includeDeleted {
			continue
		}
		custom = append(custom, r)
	}
	slices.SortFunc(custom, byKey)
	return append(out, custom...), nil
}

// Catalogue returns the role catalogue: the built-in roles and every live
// custom role. It costs one round trip (HGETALL), since it runs on every
// authenticated request.
func (s *Store) Catalogue(ctx context.Context) (role.Catalogue, error) {
	all, err := s.rdb.HGetAll(ctx, s.catalogueKey()).Result()
	if err != nil {
		return role.Catalogue{}, fmt.Errorf("roles: catalogue: %w", err)
	}
	defs := make([]role.Definition, 0, len(all))
	for key, raw := range all {
		d, err := decodeDefinition(key, raw)
		if err != nil {
			return role.Catalogue{}, fmt.Errorf("roles: catalogue: %q: %w", key, err)
		}
		defs = append(defs, d)
	}
	return role.NewCatalogue(defs...), nil
}

func builtIn(key string) (Role, bool) {
	for _, d := range role.BuiltIn() {
		if d.Key == key {
			return fromBuiltIn(d), true
		}
	}
	return Role{}, false
}

func fromBuiltIn(d role.Definition) Role {
	return Role{Key: d.Key, Name: d.Name, Description: d.Description, Permissions: d.Permissions, BuiltIn: true, Revision: -1}
}
