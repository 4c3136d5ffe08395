// Package mfa is a user's second factor: a TOTP authenticator (RFC 6238)
// with single-use recovery codes.
//
// Each user has an mfa stream, "mfa-{userID}" (Stream). The TOTP aggregate
// folds it and decides enrolment (StartEnrollment, then Confirm with a
// valid code), the use of codes (UseCode, with replay protection by time
// step) and of recovery codes (UseRecoveryCode), and the admin's Reset.
//
// Events never hold a secret in clear: the TOTP secret is recorded sealed
// with a server key (the caller seals it; see infra/crypto/sealbox) and the
// recovery codes as password hashes. Like every domain package, mfa does
// no I/O, no cryptography and imports no infrastructure; codes are checked
// by the caller, who tells the aggregate which time step matched.
package mfa
