package users

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The key schema. Every key starts with the Store's prefix P; the Lua
// scripts build the same names from P (keep them in step with lua/*.lua).
//
//	P seq              string  last dense number handed out (INCR)
//	P id:<hhhh>        hash    user ID -> dense number, bucketed by the ID's
//	                           last four hex digits so buckets stay small
//	                           listpacks (for random and time-ordered UUIDs)
//	P d:<num>          hash    the user's details (document.go, field*)
//	P nt:<num>         string  the user's admin notes, JSON; absent if none
//	P s:name           zset    "<folded name>\x00<num4>", all scores 0
//	P s:email          zset    "<folded email>\x00<num4>", all scores 0
//	P s:created        zset    "<ms6><num4>", all scores 0
//	P s:login          zset    "<ms6><num4>" (ms 0 if never logged in)
//	P w                zset    "<word>\x00<num4>" for cold words: words of
//	                           4+ runes used by few users
//	P hotwords         zset    the hot words (groups.lua), all scores 0
//	P g:st:<status>    set|bitmap  users with that status
//	P g:ro:<role>      set|bitmap  users with that role
//	P g:og:<org>       set|bitmap  users of that organization
//	P g:tm:<team>      set|bitmap  users of that team
//	P g:lk:locked      set|bitmap  users whose account is locked
//	P g:tf:enabled     set|bitmap  users with a confirmed second factor
//	P g:iv:<state>     set|bitmap  users whose latest invitation is in that
//	                           state (pending, revoked, accepted)
//	P g:px:<prefix>    set|bitmap  users with a word starting with prefix:
//	                           always for 1- to 3-rune prefixes, for longer
//	                           ones only while the prefix is hot
//	P g:wd:<word>      set|bitmap  users with that hot word
//	P g:bk:<index>:<level>:<member prefix>  set|bitmap  the users of one
//	                           block of a sort index (see blockBytes)
//	P blk:<index>:<level>  zset  the member prefixes of that index's blocks
//	                           at that level, all scores 0
//	P gc               hash    bitmap group key -> member count
//	P hot              set     hot prefixes (4+ runes, see groups.lua)
//	P statuses         zset    status values in use, all scores 0
//	P tmp:<n>          any     scratch keys of one script run, deleted before
//	                           it returns
//
// <num4> is the dense number as 4 big-endian bytes and <ms6> a Unix time in
// milliseconds as 6 big-endian bytes, so byte order is numeric order and
// every member of a sort index is unique: ties in the sort value fall back
// to the dense number. A group is a set of dense numbers while small and a
// bitmap indexed by dense number once a bitmap is cheaper (groups.lua).
type keys struct{ prefix string }

func (k keys) seq() string { return k.prefix + "seq" }

func (k keys) idBucket(id uuid.UUID) string {
	s := id.String()
	return k.prefix + "id:" + s[len(s)-4:]
}

func (k keys) details(num int64) string {
	return k.prefix + "d:" + strconv.FormatInt(num, 10)
}

func (k keys) notes(num int64) string {
	return k.prefix + "nt:" + strconv.FormatInt(num, 10)
}

func (k keys) words() string { return k.prefix + "w" }

// sortIndex returns the sort index key for one of the member kinds.
func (k keys) sortIndex(name string) string { return k.prefix + "s:" + name }

// Names of the sort indexes, as used in keys and by search.lua.
const (
	indexName    = "name"
	indexEmail   = "email"
	indexCreated = "created"
	indexLogin   = "login"
)

var sortIndexNames = []string{indexName, indexEmail, indexCreated, indexLogin}

// blockBytes gives, per sort index, the member prefix lengths (in bytes)
// that name its blocks at levels 1, 2, ...: a block is the run of the index
// whose members share that prefix, and splits into the blocks of the next
// level. Names and emails block by their first one to four bytes, so that
// a search skips to "maria" without walking "ma…" or "mar…"; times (ms6) by
// 2^32 ms (about 50 days) and 2^24 ms (about 4.7 hours). Keep in step with
// search.lua.
var blockBytes = map[string][]int{
	indexName: {1, 2, 3, 4}, indexEmail: {1, 2, 3, 4}, indexCreated: {2, 3}, indexLogin: {2, 3},
}

// Group key suffixes (after "P g:").
func statusGroup(s string) string { return "st:" + s }
func roleGroup(r string) string   { return "ro:" + r }
func orgGroup(o string) string    { return "og:" + o }
func prefixGroup(p string) string { return "px:" + p }
func teamGroup(t string) string   { return "tm:" + t }
func lockGroup(l string) string   { return "lk:" + l }
func twoFactorGroup(v string) string {
	return "tf:" + v
}
func invitationGroup(s string) string { return "iv:" + s }

// TwoFactorEnabled is the one value of the two_factor filter.
const TwoFactorEnabled = "enabled"

// LockLocked is the one value of the lock filter.
const LockLocked = "locked"

// The states of a user's latest invitation (Doc.Invitation), which are
// also the values of the invitation filter.
const (
	// InvitationPending: the link was sent and is neither used nor
	// withdrawn (it may have expired; see Doc.InvitationExpiresAt).
	InvitationPending = "pending"
	// InvitationRevoked: the link no longer works: an admin revoked it,
	// the email address changed or the user was deleted.
	InvitationRevoked = "revoked"
	// InvitationAccepted: the user accepted the invitation.
	InvitationAccepted = "accepted"
)

// invitationStates lists the invitation states, for validation and error
// messages.
var invitationStates = []string{InvitationPending, InvitationRevoked, InvitationAccepted}

// maxNum is the largest dense number num4 can carry.
const maxNum = 1<<32 - 1

// num4 encodes a dense number as 4 big-endian bytes.
func num4(num int64) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(num))
	return string(b[:])
}

// ms6 encodes t as Unix milliseconds in 6 big-endian bytes; the zero time
// and times before 1970 encode as 0.
func ms6(t time.Time) string {
	var ms uint64
	if !t.IsZero() && t.UnixMilli() > 0 {
		ms = uint64(t.UnixMilli())
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ms)
	return string(b[2:])
}

// textMember is a member of the name, email and word indexes.
func textMember(key string, num int64) string { return key + "\x00" + num4(num) }

// timeMember is a member of the created and last-login indexes.
func timeMember(t time.Time, num int64) string { return ms6(t) + num4(num) }
