package session

import "github.com/google/uuid"

// The key schema. Every key starts with P, the Store's prefix followed by
// "sess:"; the Lua scripts build the same names from P (keep them in step
// with lua/*.lua).
//
//	P t:<hash>     hash    one session, <hash> the hex SHA-256 of its token:
//	                       uid      user ID (UUID text)
//	                       created  Unix µs when the login was decided
//	                       seen     Unix ms of the last touch (creation or a
//	                                Lookup that slid the idle expiry)
//	                       abs      Unix ms of the absolute expiry
//	                       ip, ua   client IP and user agent at login
//	                       r        "1" for a restricted session, else "0"
//	                       TTL: the idle expiry (never past abs)
//	P u:<userID>   zset    the user's session hashes, scored by their abs;
//	                       members whose session has ended are removed
//	                       lazily (Create, Lookup, List). TTL: the largest
//	                       abs among its members
//	P rv:<userID>  string  Unix µs of the user's last RevokeUser; sessions
//	                       created at or before it are refused. TTL:
//	                       Config.Absolute, after which every such session
//	                       has expired anyway
//
// All times are read from Config.Now; TTLs are durations from that clock.
type keys struct{ prefix string }

func (k keys) session(hash string) string { return k.prefix + "t:" + hash }

func (k keys) user(id uuid.UUID) string { return k.prefix + "u:" + id.String() }

func (k keys) revoked(id uuid.UUID) string { return k.prefix + "rv:" + id.String() }
