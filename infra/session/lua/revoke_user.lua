-- revoke_user.lua: end every session of a user and record the instant, so
-- that sessions of logins decided until then are refused.
-- KEYS: 1 user's session set, 2 user's revoked-at.
-- ARGV: 1 now ms, 2 idle ms, 3 absolute ms (revoked-at TTL), 4 prefix P,
--       5 now µs (the revocation instant; sessions' created is in µs too).
-- Returns how many live sessions were ended.
local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])
local old = redis.call('GET', KEYS[2])
local ended = 0
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = ARGV[4] .. 't:' .. h
  local f = redis.call('HMGET', k, 'created', 'seen', 'abs')
  if f[1] then
    if now < tonumber(f[3]) and now < tonumber(f[2]) + idle
        and not (old and tonumber(f[1]) <= tonumber(old)) then
      ended = ended + 1
    end
    redis.call('DEL', k)
  end
end
redis.call('DEL', KEYS[1])
-- Never move the instant back (a clock that stepped backwards).
local at = ARGV[5]
if old and tonumber(old) > tonumber(at) then
  at = old
end
redis.call('SET', KEYS[2], at, 'PX', ARGV[3])
return ended
