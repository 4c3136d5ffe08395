// Package user is the user aggregate: the rules for creating, editing,
// suspending, reactivating and deleting a user, and the events that record
// those decisions in the stream "user-{id}".
//
// Commands are methods on *User that validate their input, decide against
// the current state and return new events, which they also apply to the
// receiver. One rule holds for all of them: a command that changes nothing
// returns no events and no error (except the named transitions Suspend and
// Reactivate, which report a conflict; see their docs). The error kinds
// are those of package domain:
//
//   - invalid input: *domain.ValidationError naming every bad field;
//   - no such user, or a deleted user: ErrNoUser / ErrDeleted, both
//     matching domain.ErrNotFound;
//   - a state conflict: *domain.ConflictError with a stable Code.
//
// Every event carries the user's ID (so projectors need not parse stream
// names) and At, the time the command was decided, in UTC. The person's
// data (email, names, password hash, and free text admins wrote about the
// person: notes and suspension reasons) is grouped in a field named PII,
// JSON member "pii" (domain.PIIMember), and appears nowhere else in the
// payload; a later layer can therefore encrypt that member with a per-user
// key and make it unreadable by deleting the key. IDs, role keys, statuses
// and times stay in clear so that history replays and reports work after
// erasure.
//
// Email uniqueness, the existence of roles and organizations, and
// permissions are rules over more than one aggregate; the command layer
// enforces them before calling in here.
package user
