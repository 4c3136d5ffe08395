// Package orgs is the Redis read model of organizations: the details of
// one organization with its live teams, the organization list sorted by
// name, and an index from team ID to organization.
//
// The projector (projections/orglist) is the only writer: it reads an
// organization's document with Get, folds new events onto it and queues
// Put in its MULTI/EXEC together with its checkpoint. The HTTP layer reads
// with Get, List and Team. Decisions never rest on this model: the command
// side loads organizations from the event store.
package orgs
