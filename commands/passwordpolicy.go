package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
	"github.com/clarynext/usermgmt/domain/user"
)

// PasswordsConfig configures the password policy handlers.
type PasswordsConfig struct {
	Store EventStore
	// Verifier checks a new password against the user's previous password
	// hashes when the policy has a History (infra/crypto/password.Hasher,
	// which bounds how many argon2 operations run at once).
	Verifier PasswordVerifier
	// Common is the list of commonly used passwords the policy's
	// RejectCommon refuses (infra/crypto/password.CommonList); nil refuses
	// none.
	Common passwordpolicy.CommonList
	// Now defaults to the clock.
	Now func() time.Time
	// Retries bounds the re-load-and-decide rounds of SetPasswordPolicy
	// after a concurrent write (default 8).
	Retries int
}

func (c *PasswordsConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retries <= 0 {
		c.Retries = 8
	}
}

// Passwords handles the password policy setting and judges new passwords
// against it. It is safe for concurrent use. It is a PasswordChecker for
// UsersConfig.
type Passwords struct {
	s        streams
	verifier PasswordVerifier
	common   passwordpolicy.CommonList
	retries  int
}

// NewPasswords returns the password policy handlers.
func NewPasswords(cfg PasswordsConfig) (*Passwords, error) {
	cfg.setDefaults()
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if cfg.Verifier == nil {
		errs = append(errs, errors.New("no password verifier"))
	}
	codec, err := domain.NewCodec(passwordpolicy.Registrations()...)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &Passwords{
		s:        streams{store: cfg.Store, codec: codec, now: cfg.Now},
		verifier: cfg.Verifier,
		common:   cfg.Common,
		retries:  cfg.Retries,
	}, nil
}

// PasswordPolicy returns the policy in force and the revision of its
// stream (the ETag for SetPasswordPolicy), eventstore.NoRevision while the
// default has never been changed.
func (p *Passwords) PasswordPolicy(ctx context.Context) (passwordpolicy.Policy, int64, error) {
	s, rev, err := loadFolded(ctx, p.s, passwordpolicy.SettingsStream, passwordpolicy.Load, "load password policy")
	if err != nil {
		return passwordpolicy.Policy{}, 0, err
	}
	return s.Current(), rev, nil
}

// SetPasswordPolicy replaces the password policy. An invalid policy is a
// *domain.ValidationError naming every bad field; the policy in force
// changes nothing (Appended false). ifMatch, when set, is the revision the
// caller last saw; a policy changed since, or never set, answers
// domain.ErrPreconditionFailed.
func (p *Passwords) SetPasswordPolicy(ctx context.Context, md Metadata, ifMatch *uint64, pol passwordpolicy.Policy) (Result, error) {
	if err := pol.Validate(); err != nil {
		return Result{}, err
	}
	return retryDecide(ctx, p.s, md, decision[*passwordpolicy.Settings]{
		stream: passwordpolicy.SettingsStream, what: "the password policy", ifMatch: ifMatch, retries: p.retries,
		load: func(ctx context.Context) (*passwordpolicy.Settings, int64, error) {
			return loadFolded(ctx, p.s, passwordpolicy.SettingsStream, passwordpolicy.Load, "load password policy")
		},
		decide: func(s *passwordpolicy.Settings) ([]domain.Event, error) {
			return s.Set(pol, p.s.now())
		},
		op: "set password policy",
	})
}

// CheckNewPassword judges a password a user is about to get against the
// policy in force. previous are the hashes of the user's passwords, newest
// first, the current one included (nil for a new user); see
// passwordHistory.
//
// A password that breaks the policy's rules is a *domain.ValidationError
// listing every broken rule (see passwordpolicy.Check). Only a password
// that passes them is verified against the last History hashes, all at
// once within the verifier's bound: one that matches is refused with the
// code "reused_password". So a refused weak password costs no argon2 work.
func (p *Passwords) CheckNewPassword(ctx context.Context, password string, previous []string) error {
	pol, _, err := p.PasswordPolicy(ctx)
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	if ve := passwordpolicy.Check(pol, password, p.common); ve != nil {
		return ve
	}
	recent := previous[:min(pol.History, len(previous))]
	reused, err := p.matchesAny(ctx, password, recent)
	if err != nil {
		return fmt.Errorf("check password history: %w", err)
	}
	if reused {
		return passwordpolicy.ReusedPassword(pol.History)
	}
	return nil
}

// matchesAny reports whether password verifies against any of hashes. The
// verifications run concurrently; the first match cancels the rest.
func (p *Passwords) matchesAny(ctx context.Context, password string, hashes []string) (bool, error) {
	if len(hashes) == 0 {
		return false, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		found bool
		errs  []error
		wg    sync.WaitGroup
	)
	for _, hash := range hashes {
		wg.Go(func() {
			ok, err := p.verifier.Verify(ctx, password, hash)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case ok:
				found = true
				cancel()
			case err != nil:
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if found {
		// Errors after the first match are the cancellation it caused.
		return true, nil
	}
	return false, errors.Join(errs...)
}

// passwordHistory returns the hashes of the passwords a user's history
// set, newest first (the current password first).
func passwordHistory(events []domain.Event) []string {
	var hashes []string
	for i := len(events) - 1; i >= 0; i-- {
		if e, ok := events[i].(user.PasswordSet); ok && e.PII.PasswordHash != "" {
			hashes = append(hashes, e.PII.PasswordHash)
		}
	}
	return hashes
}

// PasswordExpired reports whether the user's current password has
// outlived the policy's MaxAgeDays by now. A user without a password, or a
// policy without a maximum age, never expires. The login layer decides
// what an expired password means (for instance, a forced change).
func PasswordExpired(u *user.User, p passwordpolicy.Policy, now time.Time) bool {
	if u.PasswordHash() == "" {
		return false
	}
	return p.Expired(u.PasswordChangedAt(), now)
}
