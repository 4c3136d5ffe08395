package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/registration"
)

// RegistrationsConfig configures the self-registration settings handlers.
type RegistrationsConfig struct {
	Store EventStore
	// Now defaults to the clock.
	Now func() time.Time
	// Retries bounds the re-load-and-decide rounds of SetSettings after a
	// concurrent write (default 8). With If-Match there is no retry: the
	// caller gets 412.
	Retries int
}

func (c *RegistrationsConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retries <= 0 {
		c.Retries = 8
	}
}

// Registrations handles the self-registration settings (stream
// registration.Stream). It is safe for concurrent use. It checks the shape
// of role keys and organization IDs, not that they exist: the HTTP layer
// checks that against the catalogues before it calls SetSettings.
type Registrations struct {
	s       streams
	retries int
}

// NewRegistrations returns the self-registration settings handlers.
func NewRegistrations(cfg RegistrationsConfig) (*Registrations, error) {
	cfg.setDefaults()
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	codec, err := domain.NewCodec(registration.Registrations()...)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &Registrations{s: streams{store: cfg.Store, codec: codec, now: cfg.Now}, retries: cfg.Retries}, nil
}

// Settings returns the self-registration settings in force and the
// revision of their stream (the ETag for SetSettings),
// eventstore.NoRevision while the default has never been changed.
func (r *Registrations) Settings(ctx context.Context) (registration.Settings, int64, error) {
	st, rev, err := r.load(ctx)
	if err != nil {
		return registration.Settings{}, 0, err
	}
	return st.Current(), rev, nil
}

// SetSettings replaces the self-registration settings. They are
// normalized (see registration.Settings); invalid ones are a
// *domain.ValidationError naming every broken rule, and settings equal to
// those in force change nothing (Appended false). ifMatch, when set, is
// the revision the caller last saw; settings changed since, or never set,
// answer domain.ErrPreconditionFailed.
func (r *Registrations) SetSettings(ctx context.Context, md Metadata, ifMatch *uint64, s registration.Settings) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	return retryDecide(ctx, r.s, md, decision[*registration.State]{
		stream: registration.Stream, what: "the registration settings", ifMatch: ifMatch, retries: r.retries,
		load: r.load,
		decide: func(st *registration.State) ([]domain.Event, error) {
			return st.Set(s, r.s.now())
		},
		op: "set registration settings",
	})
}

func (r *Registrations) load(ctx context.Context) (*registration.State, int64, error) {
	return loadFolded(ctx, r.s, registration.Stream, registration.Load, "load registration settings")
}
