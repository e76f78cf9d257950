-- table.sort's order function called straight from the sort, and Lua
-- metamethods called from natives: parameter counts, a stack that grows
-- during the calls, and functions that take the general call path.

local function show(t)
  local parts = {}
  for i = 1, #t do parts[i] = tostring(t[i]) end
  return table.concat(parts, " ")
end

local function data()
  return {5, 3, 9, 1, 7, 2, 8, 6, 4, 0, 11, 10}
end

-- More parameters than arguments (the extra ones are nil), fewer, none.
local t = data()
table.sort(t, function(a, b, c, d) assert(c == nil and d == nil) return a > b end)
print(show(t))
t = {3, 1, 2}
local seen = {}
table.sort(t, function(a) seen[#seen + 1] = a return false end)
print(show(t), #seen)
t = data()
table.sort(t, function(...) local a, b = ... return a < b end)
print(show(t))

-- An order function whose calls grow the stack (deep recursion in some
-- of them): the answers stay right after the stack moves.
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
local calls = 0
t = data()
table.sort(t, function(a, b)
  calls = calls + 1
  if calls % 5 == 0 then assert(depth(100 * calls) == 100 * calls) end
  return a < b
end)
print(show(t), calls > 0)

-- A native as the order function.
t = {"b", "a", "c"}
table.sort(t, rawequal)
print(#t)

-- Metamethods that are Lua functions of any shape, called by natives.
local mt = {
  __lt = function(x, y, extra) assert(extra == nil) return x.v < y.v end,
  __index = function(...) local _, k = ... return k * 2 end,
}
local objs = {}
for i, v in ipairs({4, 8, 1, 6, 3}) do objs[i] = setmetatable({v = v}, mt) end
table.sort(objs)
local vs = {}
for i, o in ipairs(objs) do vs[i] = o.v end
print(show(vs), objs[1][21], rawget(objs[1], 21))
print(select("#", table.unpack(setmetatable({}, {__index = function(_, k) return k end}), 1, 5)))
print(table.concat(setmetatable({}, {__index = function(_, k) return "x" .. k end}), ",", 1, 3))
