package orgs

import (
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/cases"
)

// The key schema. Every key starts with the Store's prefix P.
//
//	P o:<id>     string  the organization's document, JSON (Org)
//	P names      hash    organization ID -> its member in the sort indexes,
//	                     so Put can replace the member when the name changes
//	P s:all      zset    "<folded name>\x00<id>" of every organization,
//	                     all scores 0 (lexical order: name, then ID)
//	P s:live     zset    the same for organizations that are not archived
//	P teams      hash    team ID -> organization ID, for every team ever
//	                     put; a deleted team keeps its entry, and Team
//	                     answers "not found" because the document no longer
//	                     lists it (team IDs are never reused)
//
// Names contain no control characters (the domain refuses them), so the
// NUL byte ends the name part of a sort member and the ID follows it.
type keys struct{ prefix string }

func (k keys) doc(id string) string { return k.prefix + "o:" + id }
func (k keys) names() string        { return k.prefix + "names" }
func (k keys) all() string          { return k.prefix + "s:all" }
func (k keys) live() string         { return k.prefix + "s:live" }
func (k keys) teams() string        { return k.prefix + "teams" }

// sortMember is an organization's member in the sort indexes.
func sortMember(name, id string) string { return foldName(name) + "\x00" + id }

// memberID returns the organization ID at the end of a sort member.
func memberID(member string) string {
	return member[strings.LastIndexByte(member, 0)+1:]
}

// foldName is the case-insensitive sort form of a name.
func foldName(s string) string { return cases.Fold().String(s) }

// teamField is a team's field in the team index.
func teamField(id uuid.UUID) string { return id.String() }
