package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// SystemActorID stands for the service itself where an event needs an actor
// ID (such as a note's author) and no person acted.
var SystemActorID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:clarynext:usermgmt:system"))

// PasswordHasher turns a password into an argon2id PHC string.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, hash string) (bool, error)
}

// PasswordChecker judges a password a user is about to get against the
// password policy (*Passwords is one). previous are the hashes of the
// user's passwords, newest first, the current one included; nil for a new
// user. A refused password is a *domain.ValidationError on "password".
type PasswordChecker interface {
	CheckNewPassword(ctx context.Context, password string, previous []string) error
}

// UsersConfig configures the user command handlers.
type UsersConfig struct {
	Store  EventStore
	Hasher PasswordHasher
	// Now and NewID default to the clock and random UUIDs.
	Now   func() time.Time
	NewID func() uuid.UUID
	// Retries bounds the re-load-and-decide rounds after a concurrent write
	// (default 8), each after a short random pause so that racing writers
	// spread out. With If-Match there is no retry: the caller gets 412.
	Retries int
	// ReservationGrace is how long an email reservation whose holder does
	// not have the address yet counts as a command in flight (default 30s).
	ReservationGrace time.Duration
	// Roles, when set, makes every role key a command gives a user (direct
	// roles, org role, team role) have to name a role: an unknown key is a
	// *domain.ValidationError with the code "unknown". Nil checks nothing.
	Roles RoleLookup
	// CheckOrgs makes Create and Edit check in the event store that a new
	// organization of the user exists and is not archived. (Transfer and
	// the team commands always check.)
	CheckOrgs bool
	// Passwords, when set, judges every new password (Create,
	// ChangePassword) against the password policy, history included. Nil
	// only bounds the length (8 to 256 characters).
	Passwords PasswordChecker
	// Links mints the tokens of emailed links; it must be the minter the
	// mail outbox uses. Nil mints under a random key, so links cannot be
	// opened by another process (fine for tests and tools that send no
	// mail).
	Links LinkTokens
	// LinkTTLs bound how long links work; zero members take the defaults.
	LinkTTLs LinkTTLs
}

func (c *UsersConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewID == nil {
		c.NewID = uuid.New
	}
	if c.Retries <= 0 {
		c.Retries = 8
	}
	if c.ReservationGrace <= 0 {
		c.ReservationGrace = 30 * time.Second
	}
	c.LinkTTLs.setDefaults()
}

// Users handles the commands of the user life cycle.
type Users struct {
	s         streams
	orgs      orgStreams
	hasher    PasswordHasher
	passwords PasswordChecker
	roles     RoleLookup
	checkOrgs bool
	newID     func() uuid.UUID
	retries   int
	grace     time.Duration
	links     LinkTokens
	linkTTLs  LinkTTLs
}

// NewUsers returns the user command handlers.
func NewUsers(cfg UsersConfig) (*Users, error) {
	cfg.setDefaults()
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if cfg.Hasher == nil {
		errs = append(errs, errors.New("no password hasher"))
	}
	regs := append(user.Registrations(), user.ReservationRegistrations()...)
	codec, err := domain.NewCodec(regs...)
	errs = append(errs, err)
	orgs, err := newOrgStreams(cfg.Store, cfg.Now)
	errs = append(errs, err)
	if cfg.Links == nil {
		cfg.Links, err = randomLinkTokens()
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &Users{
		s:         streams{store: cfg.Store, codec: codec, now: cfg.Now},
		orgs:      orgs,
		hasher:    cfg.Hasher,
		passwords: cfg.Passwords,
		roles:     cfg.Roles,
		checkOrgs: cfg.CheckOrgs,
		newID:     cfg.NewID,
		retries:   cfg.Retries,
		links:     cfg.Links,
		linkTTLs:  cfg.LinkTTLs,
		grace:     cfg.ReservationGrace,
	}, nil
}

// probeHash is a well-formed argon2id PHC string that hashes nothing; it
// stands in for the real hash while the domain validates the other fields.
const probeHash = "$argon2id$v=19$m=19456,t=2,p=1$cHJvYmVwcm9iZXByb2Jl$cHJvYmVwcm9iZXByb2JlcHJvYmVwcm9iZXByb2Jl"

// Password length bounds until password policies exist. The upper bound
// keeps a request from making argon2 hash megabytes.
const (
	minPasswordLength = 8
	maxPasswordLength = 256
)

// CreateUser is the input of Create.
type CreateUser struct {
	Email     string
	FirstName string
	LastName  string
	Roles     []string
	OrgID     string
	// OrgRole is the role within the organization; with an OrgID it
	// defaults to user.DefaultOrgRole.
	OrgRole    string
	Password   string // hashed here; never stored or logged in clear
	SendInvite bool
	// At, when set, is the creation time to record instead of now: imports
	// that keep a user's history, and seeded data sets.
	At time.Time
	// SignUp marks a self-registration (see Register); Attributes are its
	// validated additional fields, and VerifyEmail makes the user verify
	// its address before it is active.
	SignUp      bool
	Attributes  map[string]string
	VerifyEmail bool
}

// Create creates a user with a new ID. The email must not belong to another
// user (409 naming "email"). The address is reserved first; if the service
// dies before the user's own events are written, the reservation goes stale
// and the address is free again after the reservation grace period.
//
// Role keys must name roles (with UsersConfig.Roles) and the organization
// must exist and not be archived (with UsersConfig.CheckOrgs): an unknown
// one is a *domain.ValidationError ("roles", "org_role" or
// "organization_id", code "unknown"), an archived organization a
// *domain.ConflictError on "organization_id".
func (h *Users) Create(ctx context.Context, md Metadata, cmd CreateUser) (Result, error) {
	id := h.newID()
	in, at := h.createInput(id, cmd)
	if err := h.precheckInput(ctx, id, in, at, cmd.Password); err != nil {
		return Result{}, err
	}
	if cmd.Password != "" {
		hash, err := h.hasher.Hash(ctx, cmd.Password)
		if err != nil {
			return Result{}, fmt.Errorf("create user: %w", err)
		}
		in.PasswordHash = hash
	}
	var u user.User
	events, err := u.Create(id, in, at)
	if err != nil {
		return Result{}, err
	}
	if err := h.reserve(ctx, md, user.EmailKey(u.Email()), id); err != nil {
		return Result{}, err
	}
	res, err := h.s.append(ctx, user.Stream(id), eventstore.NoStream(), md, events)
	if err != nil {
		return Result{}, fmt.Errorf("create user: %w", err)
	}
	return Result{ID: id, Revision: res.NextRevision, Position: res.Position, Appended: true}, nil
}

// createInput is the domain's input for cmd, links minted, and the
// creation time.
func (h *Users) createInput(id uuid.UUID, cmd CreateUser) (user.CreateInput, time.Time) {
	in := user.CreateInput{
		Email: cmd.Email, FirstName: cmd.FirstName, LastName: cmd.LastName,
		Roles: cmd.Roles, OrgID: cmd.OrgID, OrgRole: cmd.OrgRole, SendInvite: cmd.SendInvite,
	}
	if in.OrgRole == "" && strings.TrimSpace(in.OrgID) != "" {
		in.OrgRole = user.DefaultOrgRole
	}
	at := cmd.At
	if at.IsZero() {
		at = h.s.now()
	}
	if cmd.SendInvite {
		in.Invitation = h.newLink(user.PurposeInvitation, id, at)
	}
	if cmd.SignUp {
		in.SignUp, in.Attributes = true, cmd.Attributes
		if cmd.VerifyEmail {
			in.Verification = h.newLink(user.PurposeVerification, id, at)
		}
	}
	return in, at
}

// precheck judges a CreateUser without writing anything; see
// precheckInput.
func (h *Users) precheck(ctx context.Context, cmd CreateUser) error {
	id := h.newID()
	in, at := h.createInput(id, cmd)
	return h.precheckInput(ctx, id, in, at, cmd.Password)
}

// precheckInput lets the password policy and the domain judge every field
// (their problems reported together), then checks the roles and the
// organization, all before paying for argon2: a request with a bad email
// must not cost a 19 MiB hash.
func (h *Users) precheckInput(ctx context.Context, id uuid.UUID, in user.CreateInput, at time.Time, password string) error {
	var pwErr error
	if password != "" {
		pwErr = h.checkNewPassword(ctx, password, nil)
		in.PasswordHash = probeHash
	}
	var probe user.User
	_, probeErr := probe.Create(id, in, at)
	if err := joinValidation(pwErr, probeErr); err != nil {
		return err
	}
	return h.checkRefs(ctx, userRefs{}, &probe, h.checkOrgs)
}

// checkNewPassword judges a new password with the configured
// PasswordChecker, or by length alone without one. previous are the user's
// password hashes, newest first (see passwordHistory).
func (h *Users) checkNewPassword(ctx context.Context, pw string, previous []string) error {
	if h.passwords == nil {
		return checkPassword(pw)
	}
	return h.passwords.CheckNewPassword(ctx, pw, previous)
}

func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < minPasswordLength:
		return domain.Invalid("password", "too_short", fmt.Sprintf("must be at least %d characters", minPasswordLength))
	case n > maxPasswordLength:
		return domain.Invalid("password", domain.CodeTooLong, fmt.Sprintf("must be at most %d characters", maxPasswordLength))
	}
	return nil
}

// Edit applies a partial edit. ifMatch, when set, is the revision the
// caller last saw; a user changed since then answers ErrPreconditionFailed.
// Roles the user gains and a new organization are checked as in Create. A
// new organization is a transfer that keeps the direct roles (see
// user.User.Edit).
func (h *Users) Edit(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, patch user.Patch) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		before := refsOf(u)
		events, err := u.Edit(patch, h.s.now())
		if err != nil || len(events) == 0 {
			return events, err
		}
		return events, h.checkRefs(ctx, before, u, h.checkOrgs)
	})
}

// AssignRoles gives the user role keys it does not hold yet; with
// UsersConfig.Roles every new key must name a role.
func (h *Users) AssignRoles(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, keys []string) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		before := refsOf(u)
		events, err := u.AssignRoles(keys, h.s.now())
		if err != nil || len(events) == 0 {
			return events, err
		}
		return events, h.checkRefs(ctx, before, u, false)
	})
}

// UnassignRoles takes role keys away from the user. Keys are not looked
// up: a deleted role can always be taken away.
func (h *Users) UnassignRoles(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, keys []string) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.UnassignRoles(keys, h.s.now())
	})
}

// Suspend suspends an active user; suspending a suspended user is a conflict.
func (h *Users) Suspend(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, reason string) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.Suspend(reason, h.s.now())
	})
}

// Reactivate reactivates a suspended user.
func (h *Users) Reactivate(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.Reactivate(h.s.now())
	})
}

// Delete deletes a user with the given data handling and frees its email.
func (h *Users) Delete(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, handling user.DataHandling) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.Delete(handling, h.s.now())
	})
}

// ChangePassword sets a new password (hashed here with argon2id). The
// caller ends the user's sessions; every session that began before the
// change is refused anyway (user.User.PasswordChangedAt).
//
// With UsersConfig.Passwords the password must follow the password policy
// and differ from the user's last History passwords.
func (h *Users) ChangePassword(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, password string) (Result, error) {
	return h.setPassword(ctx, md, id, ifMatch, password, false)
}

// ChangeOwnPassword is a user's own change: the current password must be
// given and right, so a stolen session alone cannot take the account over.
func (h *Users) ChangeOwnPassword(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, current, password string) (Result, error) {
	u, _, err := h.load(ctx, id)
	if err != nil {
		return Result{}, err
	}
	ok := false
	if u.PasswordHash() != "" && current != "" && len(current) <= 4*maxPasswordLength {
		if ok, err = h.hasher.Verify(ctx, current, u.PasswordHash()); err != nil {
			return Result{}, fmt.Errorf("change password: %w", err)
		}
	}
	if !ok {
		return Result{}, domain.Invalid("current_password", "wrong", "is not the current password")
	}
	return h.setPassword(ctx, md, id, ifMatch, password, false)
}

// SetTemporaryPassword is an admin's reset to a password the user must
// change at the next login (its session can do nothing else until then).
func (h *Users) SetTemporaryPassword(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, password string) (Result, error) {
	return h.setPassword(ctx, md, id, ifMatch, password, true)
}

func (h *Users) setPassword(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, password string, temporary bool) (Result, error) {
	if h.passwords == nil {
		if err := checkPassword(password); err != nil {
			return Result{}, err
		}
	}
	events, _, err := h.s.load(ctx, user.Stream(id))
	if err != nil {
		return Result{}, fmt.Errorf("change password: %w", err)
	}
	u, err := user.Load(events...)
	if err != nil {
		return Result{}, fmt.Errorf("change password: load user %s: %w", id, err)
	}
	if !u.Exists() {
		return Result{}, user.ErrNoUser
	}
	if u.Deleted() {
		return Result{}, user.ErrDeleted
	}
	if h.passwords != nil {
		if err := h.passwords.CheckNewPassword(ctx, password, passwordHistory(events)); err != nil {
			return Result{}, err
		}
	}
	hash, err := h.hasher.Hash(ctx, password)
	if err != nil {
		return Result{}, fmt.Errorf("change password: %w", err)
	}
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		if temporary {
			return u.SetTemporaryPassword(hash, h.s.now())
		}
		return u.SetPassword(hash, h.s.now())
	})
}

// AddNote adds an admin note; the result's ID is the note's.
func (h *Users) AddNote(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, text string) (Result, error) {
	author, err := uuid.Parse(md.ActorID)
	if err != nil {
		author = SystemActorID
	}
	noteID := h.newID()
	res, err := h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.AddNote(noteID, author, text, h.s.now())
	})
	res.ID = noteID
	return res, err
}

// update is load -> decide -> append at the loaded revision, re-run after a
// concurrent write unless ifMatch pins the revision (see retryDecide). It
// also keeps email reservations in step: a new address is reserved before
// the user's events are appended, and an address the user gave up (changed
// or deleted) is released after.
func (h *Users) update(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, decide func(*user.User) ([]domain.Event, error)) (Result, error) {
	// The email keys before and after the last decision, and whether it
	// deleted the user: each round decides anew, so the appended round's
	// values are the last ones set.
	var before, after string
	var deletes bool
	res, err := retryDecide(ctx, h.s, md, decision[*user.User]{
		stream: user.Stream(id), what: "the user", ifMatch: ifMatch, retries: h.retries,
		load: func(ctx context.Context) (*user.User, int64, error) {
			u, rev, err := h.load(ctx, id)
			if err == nil && !u.Exists() {
				err = user.ErrNoUser
			}
			return u, rev, err
		},
		decide: func(u *user.User) ([]domain.Event, error) {
			before = user.EmailKey(u.Email())
			wasDeleted := u.Deleted()
			events, err := decide(u)
			if err != nil || len(events) == 0 {
				return events, err
			}
			after = user.EmailKey(u.Email())
			deletes = u.Deleted() && !wasDeleted
			if !u.Deleted() && after != before {
				if err := h.reserve(ctx, md, after, id); err != nil {
					return nil, err
				}
			}
			return events, nil
		},
	})
	if err != nil {
		return Result{}, err
	}
	if res.Appended && (before != after || deletes) {
		// Best effort: if this fails, the reservation's holder no longer
		// has the address, so it goes stale and frees itself.
		h.release(ctx, md, before, id)
	}
	res.ID = id
	return res, nil
}

// load folds a user's stream; rev is NoRevision for a user without history.
func (h *Users) load(ctx context.Context, id uuid.UUID) (*user.User, int64, error) {
	return loadFolded(ctx, h.s, user.Stream(id), user.Load, "load user %s", id)
}

// reserve takes the address key for id through its reservation stream.
func (h *Users) reserve(ctx context.Context, md Metadata, key string, id uuid.UUID) error {
	stream := user.ReservationStream(key)
	holderHasIt := func(holder uuid.UUID) (bool, error) {
		u, _, err := h.load(ctx, holder)
		if err != nil {
			return false, err
		}
		return u.Exists() && !u.Deleted() && user.EmailKey(u.Email()) == key, nil
	}
	for attempt := 0; attempt <= h.retries; attempt++ {
		history, rev, err := h.s.load(ctx, stream)
		if err != nil {
			return fmt.Errorf("reserve email: %w", err)
		}
		events, err := user.LoadReservation(history...).Reserve(id, h.s.now(), h.grace, holderHasIt)
		if err != nil || len(events) == 0 {
			return err
		}
		_, err = h.s.append(ctx, stream, expectedAt(rev), md, events)
		if eventstore.IsWrongExpectedRevision(err) {
			// Somebody else reserved or released meanwhile: decide again.
			if err := pause(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reserve email: %w", err)
		}
		return nil
	}
	return &domain.ConflictError{Field: "email", Code: "email_taken", Message: "another user is taking this email address"}
}

// release frees the address key if id holds it. Errors are ignored: a
// reservation whose holder lacks the address is stale and gets taken over.
func (h *Users) release(ctx context.Context, md Metadata, key string, id uuid.UUID) {
	stream := user.ReservationStream(key)
	for attempt := 0; attempt <= h.retries; attempt++ {
		history, rev, err := h.s.load(ctx, stream)
		if err != nil {
			return
		}
		events := user.LoadReservation(history...).Release(id, h.s.now())
		if len(events) == 0 {
			return
		}
		_, err = h.s.append(ctx, stream, expectedAt(rev), md, events)
		if !eventstore.IsWrongExpectedRevision(err) {
			return
		}
	}
}
