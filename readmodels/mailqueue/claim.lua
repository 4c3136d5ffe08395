-- Claim: lease up to ARGV[3] items due at ARGV[1] until ARGV[2].
-- KEYS[1] due zset, KEYS[2] items hash; times are unix milliseconds.
-- Returns the claimed items' JSON, oldest due first. A due entry without
-- its item (which Enqueue and Ack never leave) is dropped.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local item = redis.call('HGET', KEYS[2], id)
  if item then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id)
    out[#out + 1] = item
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
