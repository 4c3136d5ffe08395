// Package auth is the login side of a user: the attempts to log in, the
// lockout that too many wrong passwords bring, and the lockout policy.
//
// Each user has an auth stream, "auth-{userID}" (Stream), apart from the
// profile stream "user-{userID}": logins are frequent, concurrent and of no
// interest to the profile's readers, and a burst of attempts must never
// contend with an admin editing the profile. The Attempts aggregate folds
// an auth stream and decides each attempt (Fail, Succeed) and the admin's
// Clear.
//
// The lockout policy is a setting of the whole service, event-sourced in
// the stream PolicyStream and folded by PolicySettings.
//
// Attempts with an email nobody holds have no user and therefore no
// stream; they are not events. Like every domain package, auth does no I/O
// and imports no infrastructure.
package auth
