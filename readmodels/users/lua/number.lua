-- number.lua: the dense number of a user ID, allocated on first sight.
-- ARGV: 1 prefix, 2 ID bucket key, 3 user ID.
-- Returns the number; the same ID always gets the same number.
local bucket = ARGV[2]
local n = redis.call('HGET', bucket, ARGV[3])
if n then
  return tonumber(n)
end
n = redis.call('INCR', ARGV[1] .. 'seq')
redis.call('HSET', bucket, ARGV[3], n)
return n
