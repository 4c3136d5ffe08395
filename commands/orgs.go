package commands

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// OrgsConfig configures the organization command handlers.
type OrgsConfig struct {
	Store EventStore
	// Now and NewID default to the clock and random UUIDs. NewID makes team
	// IDs and the random part of generated organization IDs.
	Now   func() time.Time
	NewID func() uuid.UUID
	// Retries bounds the re-load-and-decide rounds after a concurrent write
	// (default 8). With If-Match there is no retry: the caller gets 412.
	Retries int
}

func (c *OrgsConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewID == nil {
		c.NewID = uuid.New
	}
	if c.Retries <= 0 {
		c.Retries = 8
	}
}

// Orgs handles the commands on organizations and their teams. It is safe
// for concurrent use.
type Orgs struct {
	orgs    orgStreams
	newID   func() uuid.UUID
	retries int
}

// OrgResult is the Result of an organization command with the
// organization's ID (Result.ID stays uuid.Nil: organization IDs are not
// UUIDs).
type OrgResult struct {
	ID string
	Result
}

// TeamResult is the Result of a team command with the team's ID.
type TeamResult struct {
	TeamID uuid.UUID
	Result
}

// NewOrgs returns the organization command handlers.
func NewOrgs(cfg OrgsConfig) (*Orgs, error) {
	cfg.setDefaults()
	if cfg.Store == nil {
		return nil, errors.New("commands: no event store")
	}
	orgs, err := newOrgStreams(cfg.Store, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &Orgs{orgs: orgs, newID: cfg.NewID, retries: cfg.Retries}, nil
}

// Create creates an organization. An empty id asks for a generated one,
// "org-" and 13 random characters. Creating an organization whose stream
// exists (archived ones included: IDs are never reused) is a
// *domain.ConflictError on "id".
func (h *Orgs) Create(ctx context.Context, md Metadata, id, name string) (OrgResult, error) {
	id = strings.TrimSpace(id)
	generated := id == ""
	for attempt := 0; ; attempt++ {
		if generated {
			id = h.generateID()
		}
		var o org.Org
		events, err := o.Create(id, name, h.orgs.s.now()) // validates id before it names a stream
		if err != nil {
			return OrgResult{}, err
		}
		res, err := h.orgs.s.append(ctx, org.Stream(id), eventstore.NoStream(), md, events)
		if eventstore.IsWrongExpectedRevision(err) {
			if generated && attempt < h.retries {
				continue // a random ID collided: draw another
			}
			return OrgResult{}, &domain.ConflictError{Field: "id", Code: "already_exists", Message: fmt.Sprintf("organization %q exists or existed", id)}
		}
		if err != nil {
			return OrgResult{}, fmt.Errorf("create organization: %w", err)
		}
		return OrgResult{ID: id, Result: Result{Revision: res.NextRevision, Position: res.Position, Appended: true}}, nil
	}
}

// orgIDEncoding writes generated organization IDs: lowercase letters and
// digits only, so they pass org.ValidateID and read well in URLs.
var orgIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// generateID returns "org-" and 64 random bits from NewID (the bytes of a
// UUID that carry no version or variant bits).
func (h *Orgs) generateID() string {
	u := h.newID()
	b := append(u[0:6:6], u[10:12]...)
	return "org-" + orgIDEncoding.EncodeToString(b)
}

// Rename changes an organization's display name.
func (h *Orgs) Rename(ctx context.Context, md Metadata, id string, ifMatch *uint64, name string) (OrgResult, error) {
	res, err := h.update(ctx, md, id, ifMatch, func(o *org.Org) ([]domain.Event, error) {
		return o.Rename(name, h.orgs.s.now())
	})
	return OrgResult{ID: id, Result: res}, err
}

// Archive closes an organization for good; archiving it again changes
// nothing.
func (h *Orgs) Archive(ctx context.Context, md Metadata, id string, ifMatch *uint64) (OrgResult, error) {
	res, err := h.update(ctx, md, id, ifMatch, func(o *org.Org) ([]domain.Event, error) {
		return o.Archive(h.orgs.s.now())
	})
	return OrgResult{ID: id, Result: res}, err
}

// CreateTeam adds a team with a new ID to the organization orgID.
func (h *Orgs) CreateTeam(ctx context.Context, md Metadata, orgID, name string) (TeamResult, error) {
	teamID := h.newID()
	res, err := h.update(ctx, md, orgID, nil, func(o *org.Org) ([]domain.Event, error) {
		return o.CreateTeam(teamID, name, h.orgs.s.now())
	})
	if err != nil {
		return TeamResult{}, err
	}
	return TeamResult{TeamID: teamID, Result: res}, nil
}

// RenameTeam renames a team of the organization orgID. Like CreateTeam it
// takes no If-Match revision: teams live in their organization's stream,
// whose revision moves with every other team's changes, and a concurrent
// change is decided again on the fresh state (names stay unique).
func (h *Orgs) RenameTeam(ctx context.Context, md Metadata, orgID string, teamID uuid.UUID, name string) (TeamResult, error) {
	res, err := h.update(ctx, md, orgID, nil, func(o *org.Org) ([]domain.Event, error) {
		return o.RenameTeam(teamID, name, h.orgs.s.now())
	})
	return TeamResult{TeamID: teamID, Result: res}, err
}

// DeleteTeam deletes a team of the organization orgID. Users keep their
// membership of the deleted team until it is ended (Users.LeaveTeam or a
// transfer); a deleted team accepts no new members.
func (h *Orgs) DeleteTeam(ctx context.Context, md Metadata, orgID string, teamID uuid.UUID) (TeamResult, error) {
	res, err := h.update(ctx, md, orgID, nil, func(o *org.Org) ([]domain.Event, error) {
		return o.DeleteTeam(teamID, h.orgs.s.now())
	})
	return TeamResult{TeamID: teamID, Result: res}, err
}

// Load returns an organization folded from its stream and the stream's
// revision (the ETag), for reads that must not be stale. An organization
// that does not exist, or an ID that cannot be one, is org.ErrNoOrg.
func (h *Orgs) Load(ctx context.Context, id string) (*org.Org, int64, error) {
	if org.ValidateID(id) != nil {
		return nil, 0, fmt.Errorf("organization %q: %w", id, org.ErrNoOrg)
	}
	o, rev, err := h.orgs.load(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if !o.Exists() {
		return nil, 0, fmt.Errorf("organization %q: %w", id, org.ErrNoOrg)
	}
	return o, rev, nil
}

// update is load -> decide -> append at the loaded revision, re-run after a
// concurrent write unless ifMatch pins the revision (see retryDecide).
func (h *Orgs) update(ctx context.Context, md Metadata, id string, ifMatch *uint64, decide func(*org.Org) ([]domain.Event, error)) (Result, error) {
	if err := org.ValidateID(id); err != nil {
		return Result{}, err
	}
	return retryDecide(ctx, h.orgs.s, md, decision[*org.Org]{
		stream: org.Stream(id), what: "the organization", ifMatch: ifMatch, retries: h.retries,
		load: func(ctx context.Context) (*org.Org, int64, error) {
			return h.Load(ctx, id)
		},
		decide: decide,
	})
}

// orgStreams reads and writes organization streams. The organization
// handlers and the user handlers' checks (does the organization exist, is
// it archived, has it the team) share it, so those checks always read the
// event store, never a read model.
type orgStreams struct {
	s streams
}

func newOrgStreams(store EventStore, now func() time.Time) (orgStreams, error) {
	codec, err := domain.NewCodec(org.Registrations()...)
	if err != nil {
		return orgStreams{}, err
	}
	return orgStreams{s: streams{store: store, codec: codec, now: now}}, nil
}

// load folds an organization's stream; rev is NoRevision for an
// organization without history. id must have passed org.ValidateID.
func (o orgStreams) load(ctx context.Context, id string) (*org.Org, int64, error) {
	return loadFolded(ctx, o.s, org.Stream(id), org.Load, "load organization %q", id)
}
