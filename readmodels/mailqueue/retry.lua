-- Retry: store the item ARGV[2] of event ARGV[1] and make it due at ARGV[3]
-- (unix milliseconds), only if it is still queued.
-- KEYS[1] due zset, KEYS[2] items hash. Returns 1 if stored, 0 if gone.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
