-- get.lua: one user's details and notes in one round trip.
-- ARGV: 1 prefix, 2 ID bucket key, 3 user ID.
-- Returns false for an unknown ID, else {number, details as a flat
-- field/value array (empty when numbered but never put), notes or false}.
local num = redis.call('HGET', ARGV[2], ARGV[3])
if not num then
  return false
end
local details = redis.call('HGETALL', ARGV[1] .. 'd:' .. num)
local notes = redis.call('GET', ARGV[1] .. 'nt:' .. num)
return {num, details, notes}
