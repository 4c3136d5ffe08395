-- list.lua: the user's live sessions; ended ones are dropped on the way.
-- KEYS: 1 user's session set, 2 user's revoked-at.
-- ARGV: 1 now ms, 2 idle ms, 3 prefix P.
-- Returns {hash, uid, created, seen, abs, ip, ua, r, hash, ...}.
local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])
local rv = redis.call('GET', KEYS[2])
rv = rv and tonumber(rv)
local out = {}
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = ARGV[3] .. 't:' .. h
  local f = redis.call('HMGET', k, 'uid', 'created', 'seen', 'abs', 'ip', 'ua', 'r')
  local live = f[1] and now < tonumber(f[4]) and now < tonumber(f[3]) + idle
    and not (rv and tonumber(f[2]) <= rv)
  if live then
    out[#out + 1] = h
    for i = 1, 7 do
      out[#out + 1] = f[i]
    end
  else
    redis.call('DEL', k)
    redis.call('ZREM', KEYS[1], h)
  end
end
return out
