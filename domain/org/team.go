package org

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// CreateTeam adds a team with a new ID (the caller generates it) and a name
// no other live team of the organization has, compared case-insensitively.
// A team ID used before, even by a deleted team, is a *domain.ConflictError
// on "team_id"; a taken name one on "name".
func (o *Org) CreateTeam(teamID uuid.UUID, name string, now time.Time) ([]domain.Event, error) {
	if err := o.mustExist(); err != nil {
		return nil, err
	}
	var idErr error
	if teamID == uuid.Nil {
		idErr = domain.Invalid("team_id", domain.CodeRequired, "team ID is required")
	}
	name, nameErr := cleanName("name", name)
	if err := domain.CollectValidation(idErr, nameErr); err != nil {
		return nil, err
	}
	if err := o.mustBeLive(); err != nil {
		return nil, err
	}
	if o.usedTeams[teamID] {
		return nil, &domain.ConflictError{Field: "team_id", Code: "already_exists", Message: fmt.Sprintf("team %s exists or existed", teamID)}
	}
	if err := o.nameFree(uuid.Nil, name); err != nil {
		return nil, err
	}
	return o.record(TeamCreated{OrgID: o.id, TeamID: teamID, Name: name, At: eventTime(now)})
}

// RenameTeam changes a live team's name; the same name changes nothing. A
// change of case only is allowed (the team does not clash with itself).
func (o *Org) RenameTeam(teamID uuid.UUID, name string, now time.Time) ([]domain.Event, error) {
	if err := o.mustExist(); err != nil {
		return nil, err
	}
	name, err := cleanName("name", name)
	if err != nil {
		return nil, err
	}
	if err := o.mustBeLive(); err != nil {
		return nil, err
	}
	current, ok := o.teams[teamID]
	if !ok {
		return nil, fmt.Errorf("team %s: %w", teamID, ErrNoTeam)
	}
	if name == current {
		return nil, nil
	}
	if err := o.nameFree(teamID, name); err != nil {
		return nil, err
	}
	return o.record(TeamRenamed{OrgID: o.id, TeamID: teamID, Name: name, At: eventTime(now)})
}

// DeleteTeam removes a live team. A deleted or unknown team is ErrNoTeam.
func (o *Org) DeleteTeam(teamID uuid.UUID, now time.Time) ([]domain.Event, error) {
	if err := o.mustExist(); err != nil {
		return nil, err
	}
	if err := o.mustBeLive(); err != nil {
		return nil, err
	}
	if _, ok := o.teams[teamID]; !ok {
		return nil, fmt.Errorf("team %s: %w", teamID, ErrNoTeam)
	}
	return o.record(TeamDeleted{OrgID: o.id, TeamID: teamID, At: eventTime(now)})
}

// nameFree fails when a live team other than except has the name, compared
// case-insensitively.
func (o *Org) nameFree(except uuid.UUID, name string) error {
	folded := foldName(name)
	for id, other := range o.teams {
		if id != except && foldName(other) == folded {
			return &domain.ConflictError{Field: "name", Code: "name_taken", Message: fmt.Sprintf("another team is named %q", other)}
		}
	}
	return nil
}
