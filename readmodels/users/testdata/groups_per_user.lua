-- The reference for TestWriterBatchesEqualOneByOne: groups.lua as it was
-- before it took many users per call (commit f9bf637^), one call per user.
-- It is not used outside the tests.
-- groups.lua: moves one user in and out of groups (status, role, org,
-- short prefixes, hot words, hot prefixes) and the cold word index, keeping
-- each group in its cheaper form. keys.go describes the key schema.
--
-- ARGV: 1 prefix, 2 the user's dense number, 3 setMin, 4 memberBytes,
-- 5 hotWordMin, 6 hotPrefixMin, then operation/value pairs, all removals
-- before all additions, and +w before +p:
--   -s/+s status  leave/join the status group (and keep P statuses)
--   -g/+g suffix  leave/join the group P g:<suffix>
--   -b/+b <index>:<level>:<prefix>  leave/join a sort index block (and keep
--                 the block registry P blk:<index>:<level>)
--   -w/+w word    drop/add a word of 4+ runes: the hot word's group, or the
--                 cold word index P w
--   -p/+p prefix  leave/join the group of a prefix of 4+ runes if the
--                 prefix is hot or (on +p) becomes hot
--
-- A group is a set of dense numbers until it has more than setMin members
-- and a bitmap (maxNum/8 bytes) costs less than memberBytes per member;
-- then it becomes a bitmap for good, its population kept in P gc. A bitmap
-- whose population drops to 0 is deleted, as Redis deletes an empty set.
--
-- A word is hot once more than hotWordMin users have it: it then leaves the
-- word index for its own group P g:wd:<word> and joins P hotwords. A search
-- for a prefix of 4+ runes gathers the cold words starting with it from the
-- word index and takes the groups of its hot words. Where that gets costly
-- (more than hotPrefixMin cold entries, counting each hot word as
-- HOT_WORD_COST entries) the prefix becomes hot: it gets the group
-- P g:px:<prefix> of every user with a word starting with it, hot or cold.
-- Hot words and prefixes stay hot until their group empties.
local P = ARGV[1]
local num = tonumber(ARGV[2])
local setMin = tonumber(ARGV[3])
local memberBytes = tonumber(ARGV[4])
local hotWordMin = tonumber(ARGV[5])
local hotPrefixMin = tonumber(ARGV[6])

-- HOT_WORD_COST: a search takes about as long for one more hot word
-- (a group to read) as for this many more cold word-index entries.
local HOT_WORD_COST = 20

local GC = P .. 'gc'
local HOT_PREFIXES = P .. 'hot'
local HOT_WORDS = P .. 'hotwords'
local WORDS = P .. 'w'
local STATUSES = P .. 'statuses'

local setMax = setMin
if memberBytes > 0 then
  local maxNum = tonumber(redis.call('GET', P .. 'seq') or '0')
  setMax = math.max(setMin, math.floor(maxNum / 8 / memberBytes))
end

local function num4(n)
  local f = math.floor
  return string.char(f(n / 16777216) % 256, f(n / 65536) % 256, f(n / 256) % 256, n % 256)
end

local function numOf(member)
  local a, b, c, d = string.byte(member, -4, -1)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function toBitmap(key)
  local members = redis.call('SMEMBERS', key)
  redis.call('DEL', key)
  for _, m in ipairs(members) do
    redis.call('SETBIT', key, tonumber(m), 1)
  end
  redis.call('HSET', GC, key, #members)
end

-- join adds n to the group and reports whether that created the group.
local function join(key, n)
  local kind = redis.call('TYPE', key).ok
  if kind == 'string' then
    if redis.call('SETBIT', key, n, 1) == 0 then
      redis.call('HINCRBY', GC, key, 1)
    end
  elseif redis.call('SADD', key, n) == 1 and redis.call('SCARD', key) > setMax then
    toBitmap(key)
  end
  return kind == 'none'
end

-- leave removes n from the group and reports whether the group still exists.
local function leave(key, n)
  local kind = redis.call('TYPE', key).ok
  if kind == 'string' then
    if redis.call('SETBIT', key, n, 0) == 1 and redis.call('HINCRBY', GC, key, -1) <= 0 then
      redis.call('DEL', key)
      redis.call('HDEL', GC, key)
      return false
    end
    return true
  elseif kind == 'set' then
    redis.call('SREM', key, n)
    return redis.call('EXISTS', key) == 1
  end
  return false
end

-- joinAll adds every member of the group src to the group dst.
local function joinAll(dst, src)
  if redis.call('TYPE', src).ok == 'set' then
    for _, m in ipairs(redis.call('SMEMBERS', src)) do
      join(dst, tonumber(m))
    end
    return
  end
  if redis.call('TYPE', dst).ok == 'set' then
    toBitmap(dst)
  end
  redis.call('BITOP', 'OR', dst, dst, src)
  redis.call('HSET', GC, dst, redis.call('BITCOUNT', dst))
end

local function addWord(w)
  local group = P .. 'g:wd:' .. w
  if redis.call('ZSCORE', HOT_WORDS, w) then
    join(group, num)
    return
  end
  redis.call('ZADD', WORDS, 0, w .. '\0' .. num4(num))
  local min, max = '[' .. w .. '\0', '(' .. w .. '\1'
  if redis.call('ZLEXCOUNT', WORDS, min, max) <= hotWordMin then
    return
  end
  for _, m in ipairs(redis.call('ZRANGEBYLEX', WORDS, min, max)) do
    join(group, numOf(m))
  end
  redis.call('ZREMRANGEBYLEX', WORDS, min, max)
  redis.call('ZADD', HOT_WORDS, 0, w)
end

local function dropWord(w)
  if redis.call('ZSCORE', HOT_WORDS, w) then
    if not leave(P .. 'g:wd:' .. w, num) then
      redis.call('ZREM', HOT_WORDS, w)
    end
  else
    redis.call('ZREM', WORDS, w .. '\0' .. num4(num))
  end
end

-- parent is p without its last UTF-8 character.
local function parent(p)
  local i = #p
  while i > 1 do
    local b = string.byte(p, i)
    if b < 128 or b >= 192 then
      break
    end
    i = i - 1
  end
  return string.sub(p, 1, i - 1)
end

-- few[p] is true when p costs at most hotPrefixMin, and so does every
-- extension of p.
local few = {}

local function addPrefix(p)
  local group = P .. 'g:px:' .. p
  if redis.call('SISMEMBER', HOT_PREFIXES, p) == 1 then
    join(group, num)
    return
  end
  if few[parent(p)] then
    few[p] = true
    return
  end
  local min, max = '[' .. p, '[' .. p .. '\255'
  local cost = redis.call('ZLEXCOUNT', WORDS, min, max) + HOT_WORD_COST * redis.call('ZLEXCOUNT', HOT_WORDS, min, max)
  if cost <= hotPrefixMin then
    few[p] = true
    return
  end
  for _, m in ipairs(redis.call('ZRANGEBYLEX', WORDS, min, max)) do
    join(group, numOf(m))
  end
  for _, w in ipairs(redis.call('ZRANGEBYLEX', HOT_WORDS, min, max)) do
    joinAll(group, P .. 'g:wd:' .. w)
  end
  redis.call('SADD', HOT_PREFIXES, p)
end

for i = 7, #ARGV, 2 do
  local op, v = ARGV[i], ARGV[i + 1]
  if op == '+g' then
    join(P .. 'g:' .. v, num)
  elseif op == '-g' then
    leave(P .. 'g:' .. v, num)
  elseif op == '+b' or op == '-b' then
    local index, level, prefix = string.match(v, '^([^:]*):([^:]*):(.*)$')
    local registry = P .. 'blk:' .. index .. ':' .. level
    if op == '+b' then
      -- The registry holds a block exactly while its group exists.
      if join(P .. 'g:bk:' .. v, num) then
        redis.call('ZADD', registry, 0, prefix)
      end
    elseif not leave(P .. 'g:bk:' .. v, num) then
      redis.call('ZREM', registry, prefix)
    end
  elseif op == '+s' then
    if join(P .. 'g:st:' .. v, num) then
      redis.call('ZADD', STATUSES, 0, v)
    end
  elseif op == '-s' then
    if not leave(P .. 'g:st:' .. v, num) then
      redis.call('ZREM', STATUSES, v)
    end
  elseif op == '+w' then
    addWord(v)
  elseif op == '-w' then
    dropWord(v)
  elseif op == '+p' then
    addPrefix(v)
  elseif op == '-p' then
    if redis.call('SISMEMBER', HOT_PREFIXES, v) == 1 and not leave(P .. 'g:px:' .. v, num) then
      redis.call('SREM', HOT_PREFIXES, v)
    end
  else
    return redis.error_reply('groups.lua: unknown operation ' .. tostring(op))
  end
end
return #ARGV
