package users

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Put queues into pipe the writes that make doc the user's state: its
// details and every index entry that changed since old, the state last put
// (nil for a user never put, or removed since). It reads nothing, so the
// projector can queue it in its own MULTI/EXEC together with its
// checkpoint; run outside MULTI/EXEC readers may see a half-applied doc.
// doc.Num must come from Number; old must be exactly what was last put
// (Get returns it). Putting the same doc twice changes nothing the second
// time.
func (s *Store) Put(ctx context.Context, pipe redis.Pipeliner, old *Doc, doc Doc) error {
	w := s.Writer(pipe)
	if err := w.Put(ctx, old, doc); err != nil {
		return err
	}
	w.Flush(ctx)
	return nil
}

// Remove queues into pipe the writes that take the user old (as last put)
// out of every index and delete its details, notes and ID mapping. Like
// Put it reads nothing. The user's number is not reused.
func (s *Store) Remove(ctx context.Context, pipe redis.Pipeliner, old Doc) error {
	w := s.Writer(pipe)
	if err := w.Remove(ctx, old); err != nil {
		return err
	}
	w.Flush(ctx)
	return nil
}

// A Writer queues the Puts and Removes of many users into one pipeline,
// typically a projector's MULTI/EXEC. Each user's details and sort index
// entries are queued at once; the changes to its groups, which groups.lua
// alone can make, wait for Flush, which sends those of every user in one
// groups.lua call. That call reads the kind, population and hotness of a
// group that many users of the batch share once, not once per user.
//
// Flush queues groups.lua's source with SCRIPT LOAD ahead of the call.
// Inside MULTI/EXEC the load runs first, so no EVALSHA can meet NOSCRIPT
// after other writes of the transaction were applied; a plain pipeline of
// a single-node client runs its commands in order on one connection (a
// Redis Cluster client needs a TxPipeline: it does not pipeline SCRIPT
// LOAD). A Writer belongs to one pipeline and one goroutine; after the
// pipeline is executed or discarded, the next Flush queues the load again.
type Writer struct {
	s    *Store
	pipe redis.Pipeliner
	// loadedAt is the pipeline's length just after SCRIPT LOAD was
	// queued, 0 if it was not: a shorter pipeline has been emptied since.
	loadedAt int
	// pending holds the groups.lua arguments of the users put or removed
	// since the last Flush: per user its number, the count of its
	// operations, and the operation/value pairs.
	pending []any
}

// Writer returns a Writer queueing into pipe.
func (s *Store) Writer(pipe redis.Pipeliner) *Writer {
	return &Writer{s: s, pipe: pipe}
}

// Put is Store.Put into the Writer's pipeline.
func (w *Writer) Put(ctx context.Context, old *Doc, doc Doc) error {
	s, pipe := w.s, w.pipe
	if err := doc.validate(); err != nil {
		return err
	}
	var before entries
	if old != nil {
		if old.ID != doc.ID || old.Num != doc.Num {
			return fmt.Errorf("%w: old doc is user %s number %d, new doc user %s number %d",
				ErrInvalidDoc, old.ID, old.Num, doc.ID, doc.Num)
		}
		before = indexEntries(*old)
	}
	notes, err := encodeNotes(doc.Notes)
	if err != nil {
		return fmt.Errorf("users: put %s: %w", doc.ID, err)
	}
	after := indexEntries(doc)
	details := s.keys.details(doc.Num)
	pipe.HSet(ctx, details, doc.hashFields(after)...)
	if empty := doc.emptyFields(); len(empty) > 0 {
		pipe.HDel(ctx, details, empty...)
	}
	if notes != "" {
		pipe.Set(ctx, s.keys.notes(doc.Num), notes, 0)
	} else if old != nil && len(old.Notes) > 0 {
		pipe.Del(ctx, s.keys.notes(doc.Num))
	}
	if old == nil {
		pipe.HSet(ctx, s.keys.idBucket(doc.ID), doc.ID.String(), doc.Num)
	}
	w.queueIndexChanges(ctx, doc.Num, before, after)
	return nil
}

// Remove is Store.Remove into the Writer's pipeline.
func (w *Writer) Remove(ctx context.Context, old Doc) error {
	if err := old.validate(); err != nil {
		return err
	}
	s, pipe := w.s, w.pipe
	pipe.Del(ctx, s.keys.details(old.Num), s.keys.notes(old.Num))
	pipe.HDel(ctx, s.keys.idBucket(old.ID), old.ID.String())
	w.queueIndexChanges(ctx, old.Num, indexEntries(old), entries{})
	return nil
}

// entries are the index entries of one doc.
type entries struct {
	sorts    map[string]string // sort index name -> member
	blocks   []string          // "<index>:<level>:<member prefix>" per index and level
	status   string
	groups   []string // group key suffixes: roles, org, teams, lock, second factor, invitation, prefixes of 1-3 runes
	words    []string // words of 4+ runes
	prefixes []string // prefixes of 4+ runes, shortest first
}

// shortPrefix is the longest prefix, in runes, that always has a group.
const shortPrefix = 3

func indexEntries(d Doc) entries {
	e := entries{
		sorts: map[string]string{
			indexName:    textMember(nameKey(d.FirstName, d.LastName), d.Num),
			indexEmail:   textMember(emailKey(d.Email), d.Num),
			indexCreated: timeMember(d.Created, d.Num),
			indexLogin:   timeMember(d.LastLogin, d.Num),
		},
		status: d.Status,
	}
	e.blocks = make([]string, 0, 4*len(sortIndexNames))
	for _, index := range sortIndexNames {
		for level, n := range blockBytes[index] {
			e.blocks = append(e.blocks, index+":"+strconv.Itoa(level+1)+":"+e.sorts[index][:n])
		}
	}
	all := docWords(d.FirstName, d.LastName, d.Email)
	roles := d.roleSet()
	e.groups = make([]string, 0, len(roles)+len(d.Teams)+4+shortPrefix*len(all))
	for _, r := range roles {
		e.groups = append(e.groups, roleGroup(r))
	}
	if d.Org != "" {
		e.groups = append(e.groups, orgGroup(d.Org))
	}
	for _, t := range d.Teams {
		e.groups = append(e.groups, teamGroup(t.ID))
	}
	if d.Locked {
		e.groups = append(e.groups, lockGroup(LockLocked))
	}
	if d.TwoFactor {
		e.groups = append(e.groups, twoFactorGroup(TwoFactorEnabled))
	}
	if d.Invitation != "" {
		e.groups = append(e.groups, invitationGroup(d.Invitation))
	}
	long := 0
	for _, w := range all {
		long += max(0, utf8.RuneCountInString(w)-shortPrefix)
	}
	e.words = make([]string, 0, len(all))
	e.prefixes = make([]string, 0, long)
	for i, w := range all {
		// Every prefix of w, shortest first, unless an earlier word has it.
		add := func(p string, runes int) {
			switch {
			case isPrefixOfAny(p, all[:i]):
			case runes <= shortPrefix:
				e.groups = append(e.groups, prefixGroup(p))
			default:
				e.prefixes = append(e.prefixes, p)
			}
		}
		runes := 0
		for end := range w {
			if end > 0 {
				add(w[:end], runes)
			}
			runes++
		}
		add(w, runes)
		if runes > shortPrefix {
			e.words = append(e.words, w)
		}
	}
	slices.SortStableFunc(e.prefixes, func(a, b string) int {
		return utf8.RuneCountInString(a) - utf8.RuneCountInString(b)
	})
	return e
}

// isPrefixOfAny reports whether p is a prefix of one of words. Words are
// few, so this beats a set of every prefix seen.
func isPrefixOfAny(p string, words []string) bool {
	for _, w := range words {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// queueIndexChanges queues the index writes that turn before into after
// for the user num: sort index members directly, the rest as groups.lua
// operations for Flush (groups.lua alone knows which words and prefixes
// are hot).
func (w *Writer) queueIndexChanges(ctx context.Context, num int64, before, after entries) {
	s, pipe := w.s, w.pipe
	for _, index := range sortIndexNames {
		b, a := before.sorts[index], after.sorts[index]
		if b == a {
			continue
		}
		key := s.keys.sortIndex(index)
		if b != "" {
			pipe.ZRem(ctx, key, b)
		}
		if a != "" {
			pipe.ZAdd(ctx, key, redis.Z{Member: a})
		}
	}
	var ops []any
	add := func(op string, values []string) {
		for _, v := range values {
			ops = append(ops, op, v)
		}
	}
	statusChanged := before.status != after.status
	if statusChanged && before.status != "" {
		add("-s", []string{before.status})
	}
	add("-g", difference(before.groups, after.groups))
	add("-b", difference(before.blocks, after.blocks))
	add("-w", difference(before.words, after.words))
	add("-p", difference(before.prefixes, after.prefixes))
	if statusChanged && after.status != "" {
		add("+s", []string{after.status})
	}
	add("+g", difference(after.groups, before.groups))
	add("+b", difference(after.blocks, before.blocks))
	add("+w", difference(after.words, before.words))
	add("+p", difference(after.prefixes, before.prefixes))
	if len(ops) == 0 {
		return
	}
	w.pending = append(append(w.pending, num, len(ops)/2), ops...)
}

// Flush queues into the pipeline the group changes of the users put or
// removed since the last Flush, as one groups.lua call. Call it when the
// batch is complete, before the pipeline is executed: until then those
// users' groups are unchanged.
func (w *Writer) Flush(ctx context.Context) {
	if len(w.pending) == 0 {
		return
	}
	s, pipe, t := w.s, w.pipe, w.s.tuning
	args := append([]any{s.keys.prefix, t.setMin, t.memberBytes, t.hotWordMin, t.hotPrefixMin}, w.pending...)
	w.pending = nil
	if w.loadedAt == 0 || pipe.Len() < w.loadedAt {
		pipe.ScriptLoad(ctx, groupsLua)
		w.loadedAt = pipe.Len()
	}
	s.groups.EvalSha(ctx, pipe, nil, args...)
}

// difference returns the elements of a not in b, in a's order.
func difference(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}
