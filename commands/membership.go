package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/domain/user"
)

// RoleLookup resolves role keys for the user handlers' checks. It must
// read the event store (built-in roles and custom role streams), never a
// read model, and answer (zero, false, nil) for a key that names no live
// role. Roles implements it.
type RoleLookup interface {
	Lookup(ctx context.Context, key string) (role.Definition, bool, error)
}

// codeUnknown is the field error code of a reference to something that
// does not exist: a role key or an organization ID.
const codeUnknown = "unknown"

// SetOrgRole sets the user's role within its organization; "" removes it.
// A new role needs the user's organization to exist and not be archived,
// and the role key to name a role (with UsersConfig.Roles).
func (h *Users) SetOrgRole(ctx context.Context, md Metadata, userID uuid.UUID, ifMatch *uint64, orgRole string) (Result, error) {
	return h.update(ctx, md, userID, ifMatch, func(u *user.User) ([]domain.Event, error) {
		before := refsOf(u)
		events, err := u.SetOrgRole(orgRole, h.s.now())
		if err != nil || len(events) == 0 || u.OrgRole() == "" {
			return events, err
		}
		if err := h.userOrgLive(ctx, u.OrgID(), "org_role"); err != nil {
			return nil, err
		}
		return events, h.checkRefs(ctx, before, u, false)
	})
}

// JoinTeam makes the user a member of a team of its organization with the
// given team role ("" for user.DefaultTeamRole), or changes its role in
// the team. The organization's stream must show the team, live, and the
// organization not archived; an unknown team is a *domain.ValidationError
// on "team_id" (code "unknown").
func (h *Users) JoinTeam(ctx context.Context, md Metadata, userID uuid.UUID, ifMatch *uint64, teamID uuid.UUID, teamRole string) (Result, error) {
	return h.update(ctx, md, userID, ifMatch, func(u *user.User) ([]domain.Event, error) {
		orgID := u.OrgID()
		if orgID != "" {
			o, _, err := h.orgs.load(ctx, orgID)
			if err != nil {
				return nil, err
			}
			if o.Archived() {
				return nil, fmt.Errorf("organization %q: %w", orgID, org.ErrArchived)
			}
			if _, ok := o.Team(teamID); !ok && teamID != uuid.Nil {
				return nil, domain.Invalid("team_id", codeUnknown, fmt.Sprintf("organization %q has no team %s", orgID, teamID))
			}
		}
		before, _ := u.Team(teamID)
		events, err := u.JoinTeam(orgID, teamID, teamRole, h.s.now())
		if err != nil || len(events) == 0 {
			return events, err
		}
		if after, _ := u.Team(teamID); after.Role != before.Role {
			if err := h.checkRoles(ctx, "role", after.Role); err != nil {
				return nil, err
			}
		}
		return events, nil
	})
}

// LeaveTeam ends the user's membership of a team. It checks nothing about
// the organization: memberships of deleted teams and archived
// organizations can always be ended. A team the user is not in is a
// *user.NotMemberError (not found).
func (h *Users) LeaveTeam(ctx context.Context, md Metadata, userID uuid.UUID, ifMatch *uint64, teamID uuid.UUID) (Result, error) {
	return h.update(ctx, md, userID, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.LeaveTeam(teamID, h.s.now())
	})
}

// Transfer moves the user to the organization orgID ("" for none) with the
// role orgRole there ("" for user.DefaultOrgRole); its team memberships
// end, and handling says what becomes of its direct roles (see
// user.User.Transfer). The target organization must exist and not be
// archived, whatever UsersConfig.CheckOrgs says: an unknown one is a
// *domain.ValidationError and an archived one a *domain.ConflictError,
// both on "organization_id".
func (h *Users) Transfer(ctx context.Context, md Metadata, userID uuid.UUID, ifMatch *uint64, orgID, orgRole string, handling user.TransferHandling) (Result, error) {
	return h.update(ctx, md, userID, ifMatch, func(u *user.User) ([]domain.Event, error) {
		before := refsOf(u)
		events, err := u.Transfer(orgID, orgRole, handling, h.s.now())
		if err != nil {
			return nil, err
		}
		return events, h.checkRefs(ctx, before, u, true)
	})
}

// userRefs are the references of a user to other aggregates that a
// command may have to check: role keys and the organization.
type userRefs struct {
	roles   []string
	orgID   string
	orgRole string
}

func refsOf(u *user.User) userRefs {
	return userRefs{roles: u.Roles(), orgID: u.OrgID(), orgRole: u.OrgRole()}
}

// checkRefs checks the references a decision added to u, compared with
// before: new direct role keys and a new org role must name roles (with a
// RoleLookup), and a new organization must exist and not be archived (when
// checkOrg). References the user already had are not checked again, so a
// role deleted since does not block unrelated edits. Unknown references
// are reported together in one *domain.ValidationError.
func (h *Users) checkRefs(ctx context.Context, before userRefs, u *user.User, checkOrg bool) error {
	var added []string
	for _, k := range u.Roles() {
		if !slices.Contains(before.roles, k) {
			added = append(added, k)
		}
	}
	var errs []error
	if err := h.checkRoles(ctx, "roles", added...); err != nil {
		errs = append(errs, err)
	}
	if r := u.OrgRole(); r != "" && r != before.orgRole {
		if err := h.checkRoles(ctx, "org_role", r); err != nil {
			errs = append(errs, err)
		}
	}
	if o := u.OrgID(); checkOrg && o != "" && o != before.orgID {
		if err := h.checkOrg(ctx, "organization_id", o); err != nil {
			errs = append(errs, err)
		}
	}
	return domain.CollectValidation(errs...)
}

// checkRoles reports the keys that name no role, one field error each.
// Without a RoleLookup every key passes.
func (h *Users) checkRoles(ctx context.Context, field string, keys ...string) error {
	if h.roles == nil {
		return nil
	}
	var bad []domain.FieldError
	for _, k := range keys {
		_, ok, err := h.roles.Lookup(ctx, k)
		if err != nil {
			return fmt.Errorf("look up role %q: %w", k, err)
		}
		if !ok {
			bad = append(bad, domain.FieldError{Field: field, Code: codeUnknown, Message: fmt.Sprintf("role %q does not exist", k)})
		}
	}
	if bad != nil {
		return &domain.ValidationError{Fields: bad}
	}
	return nil
}

// checkOrg checks that the organization a command names, as the input
// field field, exists and is not archived. id is a valid organization ID.
func (h *Users) checkOrg(ctx context.Context, field, id string) error {
	o, _, err := h.orgs.load(ctx, id)
	switch {
	case err != nil:
		return err
	case !o.Exists():
		return domain.Invalid(field, codeUnknown, fmt.Sprintf("organization %q does not exist", id))
	case o.Archived():
		return &domain.ConflictError{Field: field, Code: "archived", Message: fmt.Sprintf("organization %q is archived", id)}
	}
	return nil
}

// userOrgLive checks that the organization the user is in exists and is
// not archived, before the user gets something within it. A user whose
// organization has no stream (assigned before organizations were checked)
// is a *domain.ConflictError on field: fix the organization first.
func (h *Users) userOrgLive(ctx context.Context, orgID, field string) error {
	o, _, err := h.orgs.load(ctx, orgID)
	switch {
	case err != nil:
		return err
	case !o.Exists():
		return &domain.ConflictError{Field: field, Code: "unknown_organization", Message: fmt.Sprintf("the user's organization %q does not exist", orgID)}
	case o.Archived():
		return fmt.Errorf("organization %q: %w", orgID, org.ErrArchived)
	}
	return nil
}
