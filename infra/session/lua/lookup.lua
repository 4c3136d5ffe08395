-- lookup.lua: fetch a session, end it if it expired or was revoked, slide
-- its idle expiry if the last touch is old enough.
-- KEYS: 1 session.
-- ARGV: 1 now ms, 2 idle ms, 3 touch interval ms, 4 prefix P, 5 token hash.
-- Returns {uid, created, seen, abs, ip, ua, r}, or nil when the session is
-- unknown or has ended.
local f = redis.call('HMGET', KEYS[1], 'uid', 'created', 'seen', 'abs', 'ip', 'ua', 'r')
if not f[1] then
  return false
end
local now, idle, touch = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local created, seen, abs = tonumber(f[2]), tonumber(f[3]), tonumber(f[4])
local ended = now >= abs or now >= seen + idle
if not ended then
  local rv = redis.call('GET', ARGV[4] .. 'rv:' .. f[1])
  ended = rv and created <= tonumber(rv)
end
if ended then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[4] .. 'u:' .. f[1], ARGV[5])
  return false
end
if now - seen >= touch then
  f[3] = ARGV[1]
  redis.call('HSET', KEYS[1], 'seen', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tostring(math.min(idle, abs - now)))
end
return f
