// Package registration is the self-registration setting of the service:
// whether people may sign up on their own, whether they must verify their
// email first, where a new account is placed (default roles and
// organization, or per email domain through DomainRules) and which extra
// fields the sign-up form asks for.
//
// The setting is service-wide, event-sourced in Stream and folded into a
// State. State.Set normalizes and validates a new Settings and reports
// every broken rule at once. Settings.ValidateFields judges the extra
// fields of one sign-up and Settings.Placement places a new account by its
// email; both are pure, so the sign-up command and the HTTP layer can call
// them on the Settings in force.
//
// Whether the roles and organizations a Settings names exist is not judged
// here: the catalogues live in other streams, and the HTTP layer checks
// them.
package registration
