-- groups.lua: moves users in and out of groups (status, role, org, short
-- prefixes, hot words, hot prefixes) and the cold word index, keeping each
-- group in its cheaper form. keys.go describes the key schema.
--
-- ARGV: 1 prefix, 2 setMin, 3 memberBytes, 4 hotWordMin, 5 hotPrefixMin,
-- then for each user in turn: its dense number, the number n of its
-- operations, and n operation/value pairs, all removals before all
-- additions, and +w before +p. The users are applied one after the other,
-- exactly as one call per user would; one call for a projector's whole
-- batch reads the kind, population and hotness of a group shared by many
-- users (a status, a role, a short prefix, a block) once, not per user.
-- Operations:
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
local setMin = tonumber(ARGV[2])
local memberBytes = tonumber(ARGV[3])
local hotWordMin = tonumber(ARGV[4])
local hotPrefixMin = tonumber(ARGV[5])
local num -- the dense number of the user being applied

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

-- What this call knows of the keyspace, read on first use and kept up to
-- date by every write below: kinds[key] is TYPE's answer, pops[key] a
-- bitmap's population (P gc), written back once at the end for the keys in
-- dirty; hotWords[w] and hotPrefixes[p] are membership of P hotwords and
-- P hot.
local kinds, pops, dirty, hotWords, hotPrefixes = {}, {}, {}, {}, {}

local function kindOf(key)
  local kind = kinds[key]
  if not kind then
    kind = redis.call('TYPE', key).ok
    kinds[key] = kind
  end
  return kind
end

local function popOf(key)
  local pop = pops[key]
  if not pop then
    pop = tonumber(redis.call('HGET', GC, key) or '0')
    pops[key] = pop
  end
  return pop
end

local function setPop(key, pop)
  pops[key] = pop
  dirty[key] = true
end

local function isHotWord(w)
  local hot = hotWords[w]
  if hot == nil then
    hot = redis.call('ZSCORE', HOT_WORDS, w) ~= false
    hotWords[w] = hot
  end
  return hot
end

local function isHotPrefix(p)
  local hot = hotPrefixes[p]
  if hot == nil then
    hot = redis.call('SISMEMBER', HOT_PREFIXES, p) == 1
    hotPrefixes[p] = hot
  end
  return hot
end

local function toBitmap(key)
  local members = redis.call('SMEMBERS', key)
  redis.call('DEL', key)
  for _, m in ipairs(members) do
    redis.call('SETBIT', key, tonumber(m), 1)
  end
  kinds[key] = 'string'
  setPop(key, #members)
end

-- join adds n to the group and reports whether that created the group.
local function join(key, n)
  local kind = kindOf(key)
  if kind == 'string' then
    if redis.call('SETBIT', key, n, 1) == 0 then
      setPop(key, popOf(key) + 1)
    end
  else
    local added = redis.call('SADD', key, n) == 1
    kinds[key] = 'set'
    if added and redis.call('SCARD', key) > setMax then
      toBitmap(key)
    end
  end
  return kind == 'none'
end

-- leave removes n from the group and reports whether the group still exists.
local function leave(key, n)
  local kind = kindOf(key)
  if kind == 'string' then
    if redis.call('SETBIT', key, n, 0) == 1 then
      local pop = popOf(key) - 1
      setPop(key, pop)
      if pop <= 0 then
        redis.call('DEL', key)
        kinds[key] = 'none'
        return false
      end
    end
    return true
  elseif kind == 'set' then
    redis.call('SREM', key, n)
    if redis.call('EXISTS', key) == 1 then
      return true
    end
    kinds[key] = 'none'
  end
  return false
end

-- joinAll adds every member of the group src to the group dst.
local function joinAll(dst, src)
  if kindOf(src) == 'set' then
    for _, m in ipairs(redis.call('SMEMBERS', src)) do
      join(dst, tonumber(m))
    end
    return
  end
  if kindOf(dst) == 'set' then
    toBitmap(dst)
  end
  redis.call('BITOP', 'OR', dst, dst, src)
  kinds[dst] = nil -- BITOP deletes a destination that comes out empty
  setPop(dst, redis.call('BITCOUNT', dst))
end

local function addWord(w)
  local group = P .. 'g:wd:' .. w
  if isHotWord(w) then
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
  hotWords[w] = true
end

local function dropWord(w)
  if isHotWord(w) then
    if not leave(P .. 'g:wd:' .. w, num) then
      redis.call('ZREM', HOT_WORDS, w)
      hotWords[w] = false
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
-- extension of p. It holds for one user's operations: the next user's
-- words may make p costlier.
local few

local function addPrefix(p)
  local group = P .. 'g:px:' .. p
  if isHotPrefix(p) then
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
  hotPrefixes[p] = true
end

-- Every operation is checked before the first write: a call either
-- applies all of its users or fails having changed nothing.
local known = {}
for _, op in ipairs({'+g', '-g', '+b', '-b', '+s', '-s', '+w', '-w', '+p', '-p'}) do
  known[op] = true
end
local i = 6
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  if not tonumber(ARGV[i]) or not n or n < 1 or n % 1 ~= 0 or i + 1 + 2 * n > #ARGV then
    return redis.error_reply('groups.lua: malformed operations for the user at argument ' .. i)
  end
  for j = i + 2, i + 1 + 2 * n, 2 do
    local op = ARGV[j]
    if not known[op] then
      return redis.error_reply('groups.lua: unknown operation ' .. tostring(op))
    end
    if (op == '+b' or op == '-b') and not string.match(ARGV[j + 1], '^[^:]*:[^:]*:') then
      return redis.error_reply('groups.lua: malformed block ' .. ARGV[j + 1])
    end
  end
  i = i + 2 + 2 * n
end

i = 6
while i <= #ARGV do
  num = tonumber(ARGV[i])
  local last = i + 1 + 2 * tonumber(ARGV[i + 1])
  few = {}
  for j = i + 2, last, 2 do
    local op, v = ARGV[j], ARGV[j + 1]
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
      if isHotPrefix(v) and not leave(P .. 'g:px:' .. v, num) then
        redis.call('SREM', HOT_PREFIXES, v)
        hotPrefixes[v] = false
      end
    end
  end
  i = last + 1
end

-- A bitmap keeps its population; a group that is no bitmap any more (it
-- emptied, and maybe came back as a set) has none. After BITOP the kind is
-- unknown here, and the population stands, as BITCOUNT gave it.
for key in pairs(dirty) do
  local kind = kinds[key]
  if kind == 'string' or kind == nil then
    redis.call('HSET', GC, key, pops[key])
  else
    redis.call('HDEL', GC, key)
  end
end
return #ARGV
