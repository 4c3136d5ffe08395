// Package roles is the Redis read model of the role catalogue: every custom
// role with its history summary (created, updated, revision, deleted), and
// the built-in roles, which are not stored but come from role.BuiltIn().
//
// # Key schema
//
// Every key starts with the Store's prefix P. Admins define few roles (tens,
// not millions), so each structure holds all of them and every read is one
// command:
//
//	P docs       hash  custom role key -> the role as JSON (docJSON): every
//	                   custom role ever created, deleted ones included, so
//	                   the projector can fold onto it and lists can show
//	                   deleted roles
//	P catalogue  hash  custom role key -> the role's definition as JSON
//	                   (definitionJSON) for each live custom role only, so
//	                   that Catalogue, which runs on every authenticated
//	                   request, is a single HGETALL
//
// Put writes both in the caller's MULTI/EXEC, so they never disagree.
package roles
