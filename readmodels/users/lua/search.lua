-- search.lua: one page of the user list, its exact total and the plan that
-- produced it, in one atomic step. search.go and the package doc describe
-- the planner; keys.go the key schema.
--
-- ARGV: 1 prefix, 2 sort ('name', 'email', 'created', 'login', 'status'),
-- 3 descending ('1' or '0'), 4 limit, 5 cursor position ('' for the first
-- page), 6 gatherMax, 7 walkBudget, 8 blockSortMax, 9 bitTestReads,
-- 10 number of fields,
-- then per field its number of sources followed by a kind and a value per
-- source:
--   g <suffix>  the group P g:<suffix>
--   p <prefix>  users with a word starting with prefix (4+ runes)
--   e <prefix>  users whose folded email starts with prefix
-- Fields are AND-ed, the sources of a field OR-ed.
--
-- Returns {total, next position ('' if none), plan, then the dense numbers
-- of the page's users}. The caller reads their details itself: replies
-- built in Lua cost the server several times more than direct ones.
--
-- Strings are never ordered with Lua's < (it follows the server's locale):
-- orderings come from ZRANGEBYLEX, SORT ... ALPHA STORE (both byte-wise)
-- and lessBytes.
local P = ARGV[1]
local sortBy = ARGV[2]
local desc = ARGV[3] == '1'
local limit = tonumber(ARGV[4])
local cursor = ARGV[5]
local gatherMax = tonumber(ARGV[6])
local walkBudget = tonumber(ARGV[7])
local blockSortMax = tonumber(ARGV[8])
local bitTestReads = tonumber(ARGV[9])

local GC = P .. 'gc'
local HOT_PREFIXES = P .. 'hot'
local HOT_WORDS = P .. 'hotwords'
local WORDS = P .. 'w'
local STATUSES = P .. 'statuses'

local floor = math.floor
local byte = string.byte
local call = redis.call

-- Scratch keys live for this run only.
local scratch = {}
local function newScratch()
  local key = P .. 'tmp:' .. (#scratch + 1)
  scratch[#scratch + 1] = key
  call('DEL', key)
  return key
end

-- numOf decodes the dense number that ends every index member.
local function numOf(member)
  local a, b, c, d = byte(member, -4, -1)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function num4(n)
  return string.char(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
end

local function ms6(ms)
  if ms < 0 then
    ms = 0
  end
  local b = {}
  for i = 6, 1, -1 do
    b[i] = ms % 256
    ms = floor(ms / 256)
  end
  return string.char(unpack(b))
end

local function hasBit(bitmap, n)
  local b = byte(bitmap, floor(n / 8) + 1)
  return b ~= nil and floor(b / 2 ^ (7 - n % 8)) % 2 == 1
end

-- bitTest returns a membership test for the bitmap at key, which must not
-- change while the test is in use. The first tests ask GETBIT; after
-- bitTestReads of them the bitmap is read into Lua once (reading a bitmap of
-- a million users costs about as much as 400 GETBITs) and tested there.
local function bitTest(key)
  local left = bitTestReads
  local bitmap = nil
  return function(n)
    if not bitmap then
      if left > 0 then
        left = left - 1
        return call('GETBIT', key, n) == 1
      end
      bitmap = call('GET', key) or ''
    end
    return hasBit(bitmap, n)
  end
end

-- bitUnit: whether BITPOS takes bit offsets (Redis 7; miniredis, which
-- has no REDIS_VERSION_NUM, takes bytes only).
local bitUnit = (redis.REDIS_VERSION_NUM or 0) >= 0x070000

-- eachBit calls fn with the offset of every set bit of the bitmap at key
-- from offset start (nil: 0) on, in order, until fn returns true. BITPOS
-- finds each one on the server: a bitmap is never copied into Lua, where
-- reading and scanning one of a million users costs milliseconds.
local function eachBit(key, fn, start)
  start = start or 0
  if bitUnit then
    local p = call('BITPOS', key, 1, start, -1, 'BIT')
    while p >= 0 do
      if fn(p) then
        return
      end
      p = call('BITPOS', key, 1, p + 1, -1, 'BIT')
    end
    return
  end
  local i = floor(start / 8)
  while true do
    local p = call('BITPOS', key, 1, i)
    if p < 0 then
      return
    end
    i = floor(p / 8)
    local b = byte(call('GETRANGE', key, i, i))
    for bit = 0, 7 do
      local weight = 2 ^ (7 - bit)
      if b >= weight then
        b = b - weight
        local n = i * 8 + bit
        if n >= start and fn(n) then
          return
        end
      end
    end
    i = i + 1
  end
end

-- Sources: sets of users with a size (exact, or an upper bound for ranges).

local function groupSource(key)
  local kind = call('TYPE', key).ok
  if kind == 'set' then
    return { kind = 'set', key = key, size = call('SCARD', key) }
  elseif kind == 'string' then
    local size = tonumber(call('HGET', GC, key)) or call('BITCOUNT', key)
    return { kind = 'bitmap', key = key, size = size }
  end
  return nil
end

-- A range source counts index entries, which overcounts users with two
-- words of the same prefix: its size is an estimate for the planner only.
local function rangeSource(key, prefix)
  local min, max = '[' .. prefix, '[' .. prefix .. '\255'
  local size = call('ZLEXCOUNT', key, min, max)
  if size == 0 then
    return nil
  end
  return { kind = 'range', key = key, min = min, max = max, size = size }
end

-- sources returns the sources of one query term; none if it matches nobody.
-- A prefix of 4+ runes that is not hot is its cold words plus the groups of
-- its hot words (groups.lua).
local function sources(kind, value)
  local out = {}
  local function add(src)
    if src then
      out[#out + 1] = src
    end
  end
  if kind == 'g' then
    add(groupSource(P .. 'g:' .. value))
  elseif kind == 'p' then
    if call('SISMEMBER', HOT_PREFIXES, value) == 1 then
      add(groupSource(P .. 'g:px:' .. value))
    else
      add(rangeSource(WORDS, value))
      for _, w in ipairs(call('ZRANGEBYLEX', HOT_WORDS, '[' .. value, '[' .. value .. '\255')) do
        add(groupSource(P .. 'g:wd:' .. w))
      end
    end
  elseif kind == 'e' then
    add(rangeSource(P .. 's:email', value))
  else
    error('search.lua: unknown source kind ' .. tostring(kind))
  end
  return out
end

local function newField(src)
  return { sources = { src }, size = src.size }
end

-- exactSize is the number of users of fields if it is known without
-- counting, else nil.
local function exactSize(fields)
  if #fields == 1 and #fields[1].sources == 1 and fields[1].sources[1].kind ~= 'range' then
    return fields[1].size
  end
  return nil
end

-- gatherInto adds the users of src to list (without duplicates, by seen).
local function gatherInto(src, list, seen)
  local function add(n)
    if not seen[n] then
      seen[n] = true
      list[#list + 1] = n
    end
  end
  if src.kind == 'set' then
    for _, m in ipairs(call('SMEMBERS', src.key)) do
      add(tonumber(m))
    end
  elseif src.kind == 'range' then
    for _, m in ipairs(call('ZRANGEBYLEX', src.key, src.min, src.max)) do
      add(numOf(m))
    end
  else
    eachBit(src.key, add)
  end
end

-- tester returns a membership test for src, cheapest for the given number
-- of tests to come.
local function tester(src, tests)
  if src.kind == 'range' or (src.kind == 'set' and tests > src.size) then
    local seen = {}
    gatherInto(src, {}, seen)
    return function(n) return seen[n] ~= nil end
  end
  local key = src.key
  if src.kind == 'set' then
    return function(n) return call('SISMEMBER', key, n) == 1 end
  end
  return bitTest(key)
end

-- gather returns the users in every field, fields sorted smallest first:
-- the smallest field's users, each tested against the other fields.
local function gather(fields)
  local cands = {}
  local seen = {}
  for _, src in ipairs(fields[1].sources) do
    gatherInto(src, cands, seen)
  end
  for f = 2, #fields do
    if #cands == 0 then
      break
    end
    local tests = {}
    for _, src in ipairs(fields[f].sources) do
      tests[#tests + 1] = tester(src, #cands)
    end
    local kept = {}
    for _, n in ipairs(cands) do
      for _, test in ipairs(tests) do
        if test(n) then
          kept[#kept + 1] = n
          break
        end
      end
    end
    cands = kept
  end
  return cands
end

-- fieldBitmap returns a bitmap key holding the users of field.
local function fieldBitmap(field)
  local sources = field.sources
  if #sources == 1 and sources[1].kind == 'bitmap' then
    return sources[1].key
  end
  local key = newScratch()
  local bitmaps = {}
  for _, src in ipairs(sources) do
    if src.kind == 'bitmap' then
      bitmaps[#bitmaps + 1] = src.key
    end
  end
  if #bitmaps > 0 then
    call('BITOP', 'OR', key, unpack(bitmaps))
  end
  for _, src in ipairs(sources) do
    if src.kind ~= 'bitmap' then
      local list = {}
      gatherInto(src, list, {})
      for _, n in ipairs(list) do
        call('SETBIT', key, n, 1)
      end
    end
  end
  return key
end

-- resultBitmap returns a bitmap key holding the users in every field.
local function resultBitmap(fields)
  if #fields == 1 then
    return fieldBitmap(fields[1])
  end
  local keys = {}
  for i, field in ipairs(fields) do
    keys[i] = fieldBitmap(field)
  end
  local key = newScratch()
  call('BITOP', 'AND', key, unpack(keys))
  return key
end

-- after returns up to count members of the sorted set key that follow from
-- (nil: from the start) in the query's direction.
local function after(key, from, count)
  if desc then
    return call('ZREVRANGEBYLEX', key, from and ('(' .. from) or '+', '-', 'LIMIT', 0, count)
  end
  return call('ZRANGEBYLEX', key, from and ('(' .. from) or '-', '+', 'LIMIT', 0, count)
end

-- successor is the smallest string after every string starting with
-- prefix, or nil if there is none.
local function successor(prefix)
  local i = #prefix
  while i > 0 and byte(prefix, i) == 255 do
    i = i - 1
  end
  if i == 0 then
    return nil
  end
  return string.sub(prefix, 1, i - 1) .. string.char(byte(prefix, i) + 1)
end

-- lexBounds returns the ZRANGEBYLEX bounds (low, high) of the members of
-- key starting with prefix that come after from in the query's direction,
-- given that from is in that run of members or before it.
local function lexBounds(prefix, from)
  local lo, hi = '[' .. prefix, '+'
  local next = successor(prefix)
  if next then
    hi = '(' .. next
  end
  if from and string.sub(from, 1, #prefix) == prefix then
    if desc then
      hi = '(' .. from
    else
      lo = '(' .. from
    end
  end
  return lo, hi
end

-- within returns up to count members of key starting with prefix that come
-- after from (as for lexBounds).
local function within(key, prefix, from, count)
  local lo, hi = lexBounds(prefix, from)
  if desc then
    return call('ZREVRANGEBYLEX', key, hi, lo, 'LIMIT', 0, count)
  end
  return call('ZRANGEBYLEX', key, lo, hi, 'LIMIT', 0, count)
end

-- SORT_FIELD names the details field holding a user's member of each sort
-- index (for the status order: "<status>\0<name index member>").
local SORT_FIELD = { name = 'sn', email = 'se', created = 'sc', login = 'sl', status = 'ss' }

-- canSort: whether this server has SORT (miniredis has not).
local canSort = nil
local function sortAvailable()
  if canSort == nil then
    local r = redis.pcall('SORT', P .. 'tmp:probe')
    canSort = not (type(r) == 'table' and r.err)
  end
  return canSort
end

-- lessBytes reports whether a sorts before b byte by byte, whatever the
-- server's locale.
local function lessBytes(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = byte(a, i), byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

-- sortCandidates orders the users cands (a list of dense numbers, or the
-- key of a set of them) by index and returns up to need of their members
-- of that index that come after from (nil: from the start).
--
-- SORT ... BY <details field> ALPHA STORE compares byte-wise and fetches
-- the fields in C, many times faster than fetching them from Lua. Without
-- SORT, the members are fetched one by one and ordered in a sorted set.
local function sortCandidates(cands, index, from, need)
  local field = SORT_FIELD[index]
  if not sortAvailable() then
    if type(cands) == 'string' then
      cands = call('SMEMBERS', cands)
    end
    local key = newScratch()
    local args = {}
    for _, n in ipairs(cands) do
      args[#args + 1] = 0
      args[#args + 1] = call('HGET', P .. 'd:' .. n, field)
      if #args >= 512 then
        call('ZADD', key, unpack(args))
        args = {}
      end
    end
    if #args > 0 then
      call('ZADD', key, unpack(args))
    end
    return after(key, from, need)
  end
  local key = cands
  if type(cands) == 'table' then
    key = newScratch()
    for i = 1, #cands, 512 do
      call('RPUSH', key, unpack(cands, i, math.min(i + 511, #cands)))
    end
  end
  local sorted = newScratch()
  local by, get = P .. 'd:*->' .. field, P .. 'd:*->' .. field
  local dir = desc and 'DESC' or 'ASC'
  if not from then
    call('SORT', key, 'BY', by, 'LIMIT', 0, need, 'GET', get, dir, 'ALPHA', 'STORE', sorted)
    return call('LRANGE', sorted, 0, -1)
  end
  -- Binary search for the first member after from.
  local lo, hi = 0, call('SORT', key, 'BY', by, 'GET', get, dir, 'ALPHA', 'STORE', sorted)
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    local m = call('LINDEX', sorted, mid)
    local isAfter
    if desc then
      isAfter = lessBytes(m, from)
    else
      isAfter = lessBytes(from, m)
    end
    if isAfter then
      hi = mid
    else
      lo = mid + 1
    end
  end
  return call('LRANGE', sorted, lo, lo + need - 1)
end

-- walk follows the sort index from from, within the members starting with
-- prefix (nil: all), and returns the first need members whose users pass
-- test, the last member it looked at, and whether it stopped after budget
-- steps with fewer than need found.
local function walk(index, from, prefix, need, test, expected, budget)
  local key = P .. 's:' .. index
  local out = {}
  local steps = 0
  local chunk = math.min(1024, math.max(32, math.ceil(expected * 1.25)))
  while true do
    local members
    if prefix then
      members = within(key, prefix, from, chunk)
    else
      members = after(key, from, chunk)
    end
    for _, m in ipairs(members) do
      if test(numOf(m)) then
        out[#out + 1] = m
        if #out == need then
          return out, m, false
        end
      end
    end
    if #members < chunk then
      return out, nil, false
    end
    steps = steps + #members
    from = members[#members]
    if steps >= budget then
      return out, from, true
    end
    chunk = math.min(1024, chunk * 2)
  end
end

-- oneValue returns the sort value that every member of the block b of
-- index shares (its members without their number), or nil if they differ.
-- Such a block is in number order: all users who never logged in, say.
local function oneValue(index, b)
  local key = P .. 's:' .. index
  local lo, hi = lexBounds(b, nil)
  local first = call('ZRANGEBYLEX', key, lo, hi, 'LIMIT', 0, 1)[1]
  local last = call('ZREVRANGEBYLEX', key, hi, lo, 'LIMIT', 0, 1)[1]
  if not first or not last or #first ~= #last then
    return nil
  end
  local value = string.sub(first, 1, -5)
  if string.sub(last, 1, -5) ~= value then
    return nil
  end
  return value
end

-- BLOCK_BYTES: per sort index, the member prefix lengths naming its blocks
-- at each level (keys.go blockBytes).
local BLOCK_BYTES = { name = { 1, 2, 3, 4 }, email = { 1, 2, 3, 4 }, created = { 2, 3 }, login = { 2, 3 } }

-- blocksFrom returns the prefixes of index's blocks at level, in query
-- order, from the block holding from (nil: the first) on, within the block
-- parent (nil: all).
local function blocksFrom(index, level, from, parent)
  local registry = P .. 'blk:' .. index .. ':' .. level
  local lo, hi = '-', '+'
  if parent then
    lo, hi = lexBounds(parent, nil)
  end
  if from and (not parent or string.sub(from, 1, #parent) == parent) then
    local start = '[' .. string.sub(from, 1, BLOCK_BYTES[index][level])
    if desc then
      hi = start
    else
      lo = start
    end
  end
  if desc then
    return call('ZREVRANGEBYLEX', registry, hi, lo)
  end
  return call('ZRANGEBYLEX', registry, lo, hi)
end

-- blockWalk returns up to need members of index after from whose users are
-- in the bitmap bitmapKey, tested by test, visiting the index block
-- by block: a block without such users is skipped, one with at most
-- blockSortMax is sorted, one with more is split into its finer blocks or,
-- at the finest level, walked. A walk costs at most need * blockSize /
-- blockSortMax steps, whatever the order of the users. In ascending order a
-- finest block whose members share one value is read in number order
-- instead of walked; the second result tells whether that happened.
local function blockWalk(index, from, need, bitmapKey, test)
  local out = {}
  local numbered = false
  local scratchKey = newScratch()
  local levels = #BLOCK_BYTES[index]
  local function visit(level, parent)
    for _, b in ipairs(blocksFrom(index, level, from, parent)) do
      if #out >= need then
        return
      end
      local key = P .. 'g:bk:' .. index .. ':' .. level .. ':' .. b
      local matches, count = nil, 0
      if call('TYPE', key).ok == 'set' then
        matches = {}
        for _, m in ipairs(call('SMEMBERS', key)) do
          local n = tonumber(m)
          if test(n) then
            matches[#matches + 1] = n
          end
        end
        count = #matches
      else
        call('BITOP', 'AND', scratchKey, bitmapKey, key)
        count = call('BITCOUNT', scratchKey)
      end
      -- The cursor matters only in its own block.
      local start = nil
      if from and string.sub(from, 1, #b) == b then
        start = from
      end
      local items = {}
      if count == 0 then
        items = {}
      elseif count <= blockSortMax then
        if not matches then
          matches = {}
          eachBit(scratchKey, function(n) matches[#matches + 1] = n end)
        end
        items = sortCandidates(matches, index, start, need - #out)
      elseif level < levels then
        visit(level + 1, b)
      else
        local value = not desc and not matches and oneValue(index, b)
        if value then
          -- Members sharing their sort value are in number order. A cursor
          -- in the block may hold another value, if its user left.
          local want, first = need - #out, 0
          if start then
            local at = string.sub(start, 1, -5)
            if at == value then
              first = numOf(start) + 1
            elseif lessBytes(value, at) then
              first = nil
            end
          end
          if first then
            numbered = true
            eachBit(scratchKey, function(n)
              items[#items + 1] = value .. num4(n)
              return #items >= want
            end, first)
          end
        else
          items = walk(index, start, b, need - #out, test, (need - #out) * 4, math.huge)
        end
      end
      for _, m in ipairs(items) do
        out[#out + 1] = m
      end
    end
  end
  visit(1, nil)
  return out, numbered
end

local function bySize(a, b)
  return a.size < b.size
end

-- page returns up to need members of index after from (nil: from the
-- start) whose users are in every field, the exact number of such users and
-- the plan used. With need 0 it only counts.
--
-- The planner: with no field, read the index. If the smallest field has at
-- most gatherMax users, gather them, test the other fields and sort the
-- survivors. Otherwise AND the fields' bitmaps and count (the total). At
-- most blockSortMax users: extract and sort them. Else, if the walk is
-- expected to be short (need * indexSize / total <= walkBudget steps), walk
-- the index from the cursor testing bits; if it is not, or if the walk
-- turns out longer (matches clustered elsewhere), go on block by block.
local function page(fields, index, from, need)
  local indexKey = P .. 's:' .. index
  if #fields == 0 then
    local total = call('ZCARD', indexKey)
    if need == 0 then
      return {}, total, 'index'
    end
    return after(indexKey, from, need), total, 'index'
  end
  table.sort(fields, bySize)
  if fields[1].size == 0 then
    return {}, 0, 'empty'
  end
  if fields[1].size <= gatherMax then
    local only = fields[1].sources[1]
    if #fields == 1 and #fields[1].sources == 1 and only.kind == 'set' then
      return need > 0 and sortCandidates(only.key, index, from, need) or {}, only.size, 'gather'
    end
    local cands = gather(fields)
    if need == 0 or #cands == 0 then
      return {}, #cands, 'gather'
    end
    return sortCandidates(cands, index, from, need), #cands, 'gather'
  end
  local bitmapKey = resultBitmap(fields)
  local total = exactSize(fields) or call('BITCOUNT', bitmapKey)
  if need == 0 or total == 0 then
    return {}, total, 'bitmap'
  end
  if total <= blockSortMax then
    local cands = {}
    eachBit(bitmapKey, function(n) cands[#cands + 1] = n end)
    return sortCandidates(cands, index, from, need), total, 'extract'
  end
  local test = bitTest(bitmapKey)
  local out, last, plan = {}, from, 'blocks'
  local expected = need * call('ZCARD', indexKey) / total
  if expected <= walkBudget then
    local exhausted
    out, last, exhausted = walk(index, from, nil, need, test, expected, walkBudget)
    if not exhausted then
      return out, total, 'walk'
    end
    plan = 'walk+blocks'
  end
  local items, numbered = blockWalk(index, last, need - #out, bitmapKey, test)
  for _, m in ipairs(items) do
    out[#out + 1] = m
  end
  if numbered then
    plan = plan .. '+numbers'
  end
  return out, total, plan
end

-- statusesFrom returns the status values in query order: those before the
-- cursor's status and those from it on.
local function statusesFrom(status)
  if not status then
    if desc then
      return {}, call('ZREVRANGEBYLEX', STATUSES, '+', '-')
    end
    return {}, call('ZRANGEBYLEX', STATUSES, '-', '+')
  end
  if desc then
    return call('ZREVRANGEBYLEX', STATUSES, '+', '(' .. status), call('ZREVRANGEBYLEX', STATUSES, '[' .. status, '-')
  end
  return call('ZRANGEBYLEX', STATUSES, '-', '(' .. status), call('ZRANGEBYLEX', STATUSES, '[' .. status, '+')
end

-- statusPage is page for the status order: statuses in order, names in
-- order within each. Its members are "<status>\0<name index member>".
local function statusPage(fields, from, need)
  table.sort(fields, bySize)
  if #fields > 0 and fields[1].size <= gatherMax then
    -- Few users: gather them and order them by status and name at once.
    local cands = gather(fields)
    if #cands == 0 then
      return {}, 0, 'gather'
    end
    return sortCandidates(cands, 'status', from, need), #cands, 'gather'
  end
  -- Otherwise one query per status, on the bitmap of all matching users.
  local fromStatus, fromName
  if from then
    local z = string.find(from, '\0', 1, true)
    fromStatus, fromName = string.sub(from, 1, z - 1), string.sub(from, z + 1)
  end
  local skipped, rest = statusesFrom(fromStatus)
  local out, total, plans = {}, 0, {}
  local base = fields
  if #fields > 0 then
    local key = resultBitmap(fields)
    local size = exactSize(fields) or call('BITCOUNT', key)
    if size == 0 then
      return {}, 0, 'bitmap'
    end
    base = { newField({ kind = 'bitmap', key = key, size = size }) }
  end
  local function withStatus(status)
    local src = groupSource(P .. 'g:st:' .. status)
    if not src then
      return nil
    end
    local f = {}
    for i, field in ipairs(base) do
      f[i] = field
    end
    f[#f + 1] = newField(src)
    return f
  end
  for _, status in ipairs(skipped) do
    local f = withStatus(status)
    if f then
      local _, count = page(f, 'name', nil, 0)
      total = total + count
    end
  end
  for _, status in ipairs(rest) do
    local f = withStatus(status)
    if f then
      local start = nil
      if status == fromStatus then
        start = fromName
      end
      local want = need - #out
      local items, count, plan = page(f, 'name', start, want)
      total = total + count
      if want > 0 then
        plans[#plans + 1] = status .. ':' .. plan
      end
      for _, m in ipairs(items) do
        out[#out + 1] = status .. '\0' .. m
      end
    end
  end
  return out, total, table.concat(plans, ',')
end

-- Read the fields; an empty field empties the result.
local fields = {}
local at = 11
local empty = false
for f = 1, tonumber(ARGV[10]) do
  local n = tonumber(ARGV[at])
  local field = { sources = {}, size = 0 }
  for s = 1, n do
    for _, src in ipairs(sources(ARGV[at + 2 * s - 1], ARGV[at + 2 * s])) do
      field.sources[#field.sources + 1] = src
      field.size = field.size + src.size
    end
  end
  at = at + 1 + 2 * n
  fields[f] = field
  empty = empty or field.size == 0
end
if empty then
  return { 0, '', 'empty' }
end

local from = nil
if cursor ~= '' then
  from = cursor
end
local out, total, plan
if sortBy == 'status' then
  out, total, plan = statusPage(fields, from, limit + 1)
  plan = 'status(' .. plan .. ')'
else
  out, total, plan = page(fields, sortBy, from, limit + 1)
end

local reply = { total, '', plan }
if #out > limit then
  reply[2] = out[limit]
end
for i = 1, math.min(#out, limit) do
  reply[#reply + 1] = numOf(out[i])
end
if #scratch > 0 then
  call('DEL', unpack(scratch))
end
return reply
