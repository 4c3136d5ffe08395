package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// RolesConfig configures the custom role command handlers.
type RolesConfig struct {
	Store EventStore
	// Now defaults to the clock.
	Now func() time.Time
	// Retries bounds the re-load-and-decide rounds after a concurrent write
	// (default 8). With If-Match there is no retry: the caller gets 412.
	Retries int
}

func (c *RolesConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retries <= 0 {
		c.Retries = 8
	}
}

// Roles handles the commands of custom roles, one stream "role-{key}" per
// role, and resolves role keys for write-side checks. It is safe for
// concurrent use.
type Roles struct {
	s       streams
	retries int
}

// NewRoles returns the custom role command handlers.
func NewRoles(cfg RolesConfig) (*Roles, error) {
	cfg.setDefaults()
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	codec, err := domain.NewCodec(role.Registrations()...)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &Roles{s: streams{store: cfg.Store, codec: codec, now: cfg.Now}, retries: cfg.Retries}, nil
}

// RoleResult is what a role command answers: the role's key and the
// stream's revision and position. Result.ID stays uuid.Nil: roles are
// addressed by key.
type RoleResult struct {
	Key string
	Result
}

// Create defines a custom role under a new key. A key that exists or
// existed (keys of deleted roles are never reused) or that names a built-in
// role is a *domain.ConflictError on "key"; concurrent creates of one key
// let exactly one win.
func (r *Roles) Create(ctx context.Context, md Metadata, key, name, description string, perms []role.Permission) (RoleResult, error) {
	if err := role.CheckKey(key); err != nil {
		return RoleResult{}, err
	}
	for attempt := 0; ; attempt++ {
		ro, _, err := r.load(ctx, key)
		if err != nil {
			return RoleResult{}, err
		}
		events, err := ro.Create(key, name, description, perms, r.s.now())
		if err != nil {
			return RoleResult{}, err
		}
		res, err := r.s.append(ctx, role.Stream(key), eventstore.NoStream(), md, events)
		if eventstore.IsWrongExpectedRevision(err) && attempt < r.retries {
			// Someone wrote the stream meanwhile: decide again on what
			// they wrote (normally: the key is now taken).
			if err := pause(ctx, attempt); err != nil {
				return RoleResult{}, err
			}
			continue
		}
		if eventstore.IsWrongExpectedRevision(err) {
			return RoleResult{}, &domain.ConflictError{Field: "key", Code: "role_exists", Message: "a role with this key exists or existed"}
		}
		if err != nil {
			return RoleResult{}, fmt.Errorf("create role %q: %w", key, err)
		}
		return RoleResult{Key: key, Result: Result{Revision: res.NextRevision, Position: res.Position, Appended: true}}, nil
	}
}

// Rename changes a custom role's display name. ifMatch, when set, is the
// revision the caller last saw; a role changed since then answers
// domain.ErrPreconditionFailed.
func (r *Roles) Rename(ctx context.Context, md Metadata, key string, ifMatch *uint64, name string) (RoleResult, error) {
	return r.update(ctx, md, key, ifMatch, func(ro *role.Role) ([]domain.Event, error) {
		return ro.Rename(name, r.s.now())
	})
}

// Describe changes a custom role's description.
func (r *Roles) Describe(ctx context.Context, md Metadata, key string, ifMatch *uint64, description string) (RoleResult, error) {
	return r.update(ctx, md, key, ifMatch, func(ro *role.Role) ([]domain.Event, error) {
		return ro.Describe(description, r.s.now())
	})
}

// ChangePermissions replaces a custom role's permissions.
func (r *Roles) ChangePermissions(ctx context.Context, md Metadata, key string, ifMatch *uint64, perms []role.Permission) (RoleResult, error) {
	return r.update(ctx, md, key, ifMatch, func(ro *role.Role) ([]domain.Event, error) {
		return ro.ChangePermissions(perms, r.s.now())
	})
}

// Delete deletes a custom role for good; its key is never reused.
func (r *Roles) Delete(ctx context.Context, md Metadata, key string, ifMatch *uint64) (RoleResult, error) {
	return r.update(ctx, md, key, ifMatch, func(ro *role.Role) ([]domain.Event, error) {
		return ro.Delete(r.s.now())
	})
}

// Lookup resolves a role key for write-side checks (such as assigning a
// role to a user) from the event store, never from a read model: built-in
// roles from role.BuiltIn(), custom ones by loading their stream. A
// deleted or unknown key, and a string that is no role key at all, answer
// (zero, false, nil).
func (r *Roles) Lookup(ctx context.Context, key string) (role.Definition, bool, error) {
	for _, d := range role.BuiltIn() {
		if d.Key == key {
			return d, true, nil
		}
	}
	if role.CheckKey(key) != nil {
		return role.Definition{}, false, nil
	}
	ro, _, err := r.load(ctx, key)
	if err != nil {
		return role.Definition{}, false, err
	}
	if !ro.Exists() {
		return role.Definition{}, false, nil
	}
	return ro.Definition(), true, nil
}

// update is validate -> load -> decide -> append at the loaded revision,
// re-run after a concurrent write unless ifMatch pins the revision (see
// retryDecide).
func (r *Roles) update(ctx context.Context, md Metadata, key string, ifMatch *uint64, decide func(*role.Role) ([]domain.Event, error)) (RoleResult, error) {
	if err := role.CheckKey(key); err != nil {
		return RoleResult{}, err
	}
	if role.IsBuiltIn(key) {
		return RoleResult{}, &domain.ConflictError{Field: "key", Code: "built_in", Message: fmt.Sprintf("%q is a built-in role and cannot be changed", key)}
	}
	res, err := retryDecide(ctx, r.s, md, decision[*role.Role]{
		stream: role.Stream(key), what: "the role", ifMatch: ifMatch, retries: r.retries,
		load: func(ctx context.Context) (*role.Role, int64, error) {
			ro, rev, err := r.load(ctx, key)
			if err == nil && !ro.Exists() {
				err = fmt.Errorf("role %q: %w", key, role.ErrNoRole)
			}
			return ro, rev, err
		},
		decide: decide,
		op:     fmt.Sprintf("change role %q", key),
	})
	if err != nil {
		return RoleResult{}, err
	}
	return RoleResult{Key: key, Result: res}, nil
}

// load folds a custom role's stream; rev is NoRevision for a key without
// history. key must have passed role.CheckKey.
func (r *Roles) load(ctx context.Context, key string) (*role.Role, int64, error) {
	return loadFolded(ctx, r.s, role.Stream(key), role.Load, "load role %q", key)
}
