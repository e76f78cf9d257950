-- table.sort: results, comparison counts (no random pivots below 128
-- elements, so they match the reference exactly), errors and hooks.

local function show(t)
  local parts = {}
  for i = 1, #t do parts[i] = tostring(t[i]) end
  return table.concat(parts, " ")
end

local function lcg(n, seed)
  local t = {}
  for i = 1, n do
    seed = (seed * 16807) % 2147483647
    t[i] = seed % 1000
  end
  return t
end

print(show((function() local t = {5, 3, 9, 1, 7, 2} table.sort(t) return t end)()))
print(show((function() local t = {"pear", "apple", "fig", "b", "", "apple2"} table.sort(t) return t end)()))
print(show((function() local t = {3, 1.5, -2, 2^53, -0.5, 7, 1} table.sort(t) return t end)()))
print(show((function() local t = {5, 3, 9, 1, 7, 2} table.sort(t, function(a, b) return a > b end) return t end)()))

-- Comparison counts on inputs of several shapes.
for _, n in ipairs({2, 3, 10, 50, 120}) do
  local shapes = {
    sorted = function() local t = {} for i = 1, n do t[i] = i end return t end,
    reversed = function() local t = {} for i = 1, n do t[i] = n - i end return t end,
    equal = function() local t = {} for i = 1, n do t[i] = 7 end return t end,
    random = function() return lcg(n, 42) end,
  }
  for _, name in ipairs({"sorted", "reversed", "equal", "random"}) do
    local t = shapes[name]()
    local calls = 0
    table.sort(t, function(a, b) calls = calls + 1 return a < b end)
    local ok = true
    for i = 2, n do if t[i - 1] > t[i] then ok = false end end
    print(n, name, calls, ok)
  end
end

-- Values ordered by __lt, and a proxy table reached through metamethods.
local mt = {__lt = function(a, b) return a.v < b.v end}
local objs = {}
for i, v in ipairs({4, 8, 1, 6, 3}) do objs[i] = setmetatable({v = v}, mt) end
table.sort(objs)
local vs = {}
for i, o in ipairs(objs) do vs[i] = o.v end
print(show(vs))

local store = {9, 4, 7, 1}
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return store[k] end,
  __newindex = function(_, k, v) log[#log + 1] = k store[k] = v end,
  __len = function() return #store end,
})
table.sort(proxy)
print(show(store), #log)

-- Errors.
local function try(...)
  local ok, err = pcall(...)
  print(ok, err)
end
try(table.sort, {3, 1, 2}, function(a, b) error("boom") end)
print(select(2, pcall(table.sort, {3, 1, 2}, function(a, b) error({code = 1}) end)).code)
try(table.sort, {3, 1, 2}, function(a, b) error("no position", 0) end)
try(table.sort, {3, 1, 2}, function(a, b) return a.x < b end)
try(table.sort, {3, nil, 2, 1})
try(table.sort, {3, "x", 2})
try(table.sort, {{}, {}})
try(table.sort, {3, 1, 2}, 42)
try(table.sort, lcg(200, 7), function(a, b) return true end)
try(table.sort, setmetatable({}, {__len = function() return math.maxinteger end}))
print(select(2, pcall(table.sort, {1, 2, 3}, function() local x = nil; return x.y end)))

local tb = select(2, xpcall(table.sort, debug.traceback, {2, 1}, function(a, b) error("deep") end))
print(tb:match("^(.-'table.sort')"))

-- The comparator cannot yield: sort is a C function in PUC-Rio Lua.
local co = coroutine.create(function()
  table.sort({3, 1, 2}, function(a, b) coroutine.yield() return a < b end)
end)
print(coroutine.resume(co))

-- A comparator may call back into sort, and into pcall.
local t = {{3, 1}, {2, 9, 4}, {8}}
table.sort(t, function(a, b)
  table.sort(a)
  table.sort(b)
  local ok = pcall(error, "inner")
  return a[1] < b[1] and ok == false
end)
print(show(t[1]), show(t[2]), show(t[3]))

-- Hooks see every call of the comparator.
local cmp = function(a, b) return a < b end
local seen = 0
debug.sethook(function()
  if debug.getinfo(2, "f").func == cmp then seen = seen + 1 end
end, "c")
local u = lcg(60, 3)
table.sort(u, cmp)
debug.sethook()
local calls = 0
u = lcg(60, 3)
table.sort(u, function(a, b) calls = calls + 1 return a < b end)
print(seen == calls, calls)

-- A comparator that turns hooks on halfway.
local n = 0
u = lcg(40, 5)
table.sort(u, function(a, b)
  n = n + 1
  if n == 10 then debug.sethook(function() end, "l") end
  return a < b
end)
debug.sethook()
print(n > 10, u[1] <= u[40])

-- Order functions the fast path hands to the general one.
local function sorted(t, f) table.sort(t, f) return table.concat(t, " ") end
print(sorted({5, 2, 8, 1}, function(...) local a, b = ... return a < b end))
print(sorted({5, 2, 8, 1}, function(a, b, c) return c == nil and a > b end))
print(pcall(table.sort, {5, 2, 8, 1}, rawequal))
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(sorted({5, 2, 8, 1, 9, 3}, function(a, b) return depth(300) > 0 and a < b end))
-- Sorts nested in order functions, until C calls run out.
local level = 0
local function nest(a, b)
  level = level + 1
  table.sort({2, 1}, nest)
  return a < b
end
print(pcall(table.sort, {2, 1}, nest))
print(level > 100)
-- Errors after the stack grew, and caught inside the order function.
print(pcall(table.sort, {3, 2, 1}, function(a, b) depth(500) error("late") end))
print(sorted({3, 2, 1}, function(a, b) local ok = pcall(error, "x") return ok or a < b end))
-- Nesting limits: the same whether sorts nest through the order function,
-- __index or __newindex, and after errors out of order functions.
local deepest = 0
local function through_order(n)
  deepest = math.max(deepest, n)
  table.sort({2, 1}, function(a, b) through_order(n + 1) return a < b end)
end
local function through_index(n)
  deepest = math.max(deepest, n)
  local t = setmetatable({}, {__index = function(_, k) through_index(n + 1) return k end,
                              __len = function() return 2 end})
  table.sort(t, function(a, b) return a < b end)
end
local function through_newindex(n)
  deepest = math.max(deepest, n)
  local t = setmetatable({}, {__index = function(_, k) return k end,
                              __newindex = function() through_newindex(n + 1) end,
                              __len = function() return 3 end})
  table.sort(t, function(a, b) return a > b end)
end
local depths = {}
for _, f in ipairs({through_order, through_index, through_newindex, through_order}) do
  deepest = 0
  print(pcall(f, 0))
  depths[#depths + 1] = deepest
end
print(depths[1] > 100, depths[1] == depths[2], depths[2] == depths[3], depths[3] == depths[4])
print(coroutine.wrap(function()
  local r
  table.sort({1, 2}, function(a, b) r = coroutine.isyieldable() return a < b end)
  return r, coroutine.isyieldable()
end)())
-- Only the first result of the order function counts: none, several, or
-- from a nested call.
print(sorted({3, 1, 2}, function(a, b) end))
print(sorted({3, 1, 2}, function(a, b) return a > b, false end))
print(sorted({3, 1, 2}, function(a, b) return nil, a < b end))
print(sorted({3, 1, 2, 5, 4}, function(a, b) return select(2, false, a < b) end))
print(sorted({"b", "c", "a"}, function(a, b) return (a < b) end))
-- Order functions that only compare their parameters, on numbers of both
-- kinds (exact comparisons of integers with floats), strings, and values
-- that cannot be compared.
local big = math.maxinteger
local mixed = {3, -1, 2.5, 2, math.huge, -math.huge, 2^53, 2^53 + 1, 2^63, big, big - 1,
  -big, math.mininteger, -0.0, 0, 1e308, -1e-308, 7, 2.0, 3.5}
local function copy(t) local c = {} for i = 1, #t do c[i] = t[i] end return c end
local distinct = {3, -1, 2.5, math.huge, -math.huge, 2^53, 2^53 + 2, 2^63, big, big - 1,
  math.mininteger, -0.0, 1e308, -1e-308, 7.5}
local function show(t) local s = {} for i = 1, #t do s[i] = tostring(t[i]) end return table.concat(s, " ") end
for _, f in ipairs({
  function(a, b) return a < b end,
  function(a, b) return a > b end,
  function(a, b) return b < a end,
  function(a, b) return b > a end,
  function(x, y) return x <= y end,
  function(x, y) return x >= y end,
  function(x, y) return not (x < y) end,
  function(x, y) return not (y <= x) end,
}) do
  for _, list in ipairs({mixed, distinct}) do
    print(pcall(function() local t = copy(list) table.sort(t, f) return show(t) end))
  end
end
print(sorted({"b", "a", "c"}, function(a, b) return a > b end))
print(pcall(table.sort, {1, "x", 2}, function(a, b) return a < b end))
print(pcall(table.sort, {1, 2, 0 / 0, 4, 3}, function(a, b) return a < b end))
print(pcall(table.sort, {1, {}, 2}, function(a, b) return a > b end))
-- Hooks see every call of such a function.
local counted = 0
local u1, u2 = lcg(30, 9), lcg(30, 9)
table.sort(u1, function(a, b) counted = counted + 1 return a < b end)
local lines = 0
local less = function(a, b) return a < b end
local line = debug.getinfo(less, "S").linedefined
debug.sethook(function(_, l) if l == line then lines = lines + 1 end end, "l")
table.sort(u2, less)
debug.sethook()
print(counted == lines, show(u1) == show(u2))
