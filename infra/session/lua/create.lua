-- create.lua: store a new session unless the user's sessions were revoked
-- at or after the login was decided.
-- KEYS: 1 session, 2 user's session set, 3 user's revoked-at.
-- ARGV: 1 now ms, 2 created µs, 3 abs ms, 4 session TTL ms, 5 token hash,
--       6 user ID, 7 IP, 8 user agent, 9 restricted ("1" or "0"),
--       10 prefix P (to delete ended sessions of the set).
-- Returns 1, or 0 when refused.
local now = tonumber(ARGV[1])
local rv = redis.call('GET', KEYS[3])
if rv and tonumber(ARGV[2]) <= tonumber(rv) then
  return 0
end
-- Lazily drop the sessions that reached their absolute expiry.
for _, h in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('DEL', ARGV[10] .. 't:' .. h)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('HSET', KEYS[1], 'uid', ARGV[6], 'created', ARGV[2], 'seen', ARGV[1],
  'abs', ARGV[3], 'ip', ARGV[7], 'ua', ARGV[8], 'r', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
-- The set lives as long as its longest-lived session.
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[2], tostring(tonumber(last[2]) - now))
return 1
