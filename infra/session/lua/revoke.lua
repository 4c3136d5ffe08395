-- revoke.lua: end one session.
-- KEYS: 1 session.
-- ARGV: 1 prefix P, 2 token hash.
-- Returns 1, or 0 when there was no such session.
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. 'u:' .. uid, ARGV[2])
return 1
