// Package domain holds what every aggregate of the user-management service
// shares: the Event interface, the typed errors that the HTTP layer maps to
// problem+json responses, and the Codec that turns events into stored bytes
// and back.
//
// The package and its sub-packages are the pure model: they do no I/O and
// import none of this module's infra, commands, readmodels or projections
// packages, so every rule can be tested with plain values.
package domain
