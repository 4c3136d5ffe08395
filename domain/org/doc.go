// Package org is the organization aggregate: an organization's name, its
// life cycle (live, then archived for good) and its teams, recorded in the
// stream "org-{id}".
//
// Commands are methods on *Org that validate their input, decide against
// the current state and return new events, which they also apply to the
// receiver. A command that changes nothing returns no events and no error.
// The error kinds are those of package domain:
//
//   - invalid input: *domain.ValidationError naming every bad field;
//   - no such organization or team: ErrNoOrg / ErrNoTeam, both matching
//     domain.ErrNotFound;
//   - an archived organization: ErrArchived, matching domain.ErrConflict;
//   - a duplicate (organization ID, team ID or team name):
//     *domain.ConflictError naming the field.
//
// Which users belong to an organization or a team is a fact about each
// user and lives in the user's stream (package user); this package does not
// import it, and package user does not import this one.
package org
