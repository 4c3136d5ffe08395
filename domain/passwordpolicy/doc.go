// Package passwordpolicy is the password policy of the service: the rules a
// new password must follow (length, character classes, not a commonly used
// password), how long a password may be used, and how many previous
// passwords may not be reused.
//
// The policy is a service-wide setting, event-sourced in SettingsStream and
// folded into Settings. Check judges a clear-text password against a Policy;
// it is the only place the domain sees a clear-text password, and it never
// keeps or echoes it. Reuse of previous passwords is judged by the command
// layer, because it needs argon2id verification against stored hashes.
package passwordpolicy
