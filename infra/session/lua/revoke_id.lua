-- revoke_id.lua: end the user's sessions whose hash starts with an ID.
-- KEYS: 1 user's session set.
-- ARGV: 1 prefix P, 2 session ID (hash prefix).
-- Returns how many session keys were deleted.
local n = 0
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(h, 1, #ARGV[2]) == ARGV[2] then
    n = n + redis.call('DEL', ARGV[1] .. 't:' .. h)
    redis.call('ZREM', KEYS[1], h)
  end
end
return n
