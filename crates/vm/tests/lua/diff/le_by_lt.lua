-- LUA_COMPAT_LT_LE (the Debian/Ubuntu lua5.4): without __le, a <= b is not (b < a), also when __lt yields
local mt = {__lt = function(a, b) print("lt", a.n, b.n) return a.n < b.n end}
local function O(n) return setmetatable({n = n}, mt) end
print(O(1) <= O(2), O(2) <= O(1), O(1) >= O(2), O(1) <= O(1))
print(pcall(function() return O(1) <= 1 end))
print(pcall(function() return 1 <= O(1) end))
local mt2 = {__lt = function(a, b) return "yes" end}
print(setmetatable({}, mt2) <= 5)
print(pcall(function() return {} <= setmetatable({}, {}) end))
local co = coroutine.wrap(function() local a = setmetatable({}, {__lt = function() coroutine.yield("y") return false end}) return a <= a end)
print(co(), co())
local log = {}
local mt3 = {__lt = function(a, b) local x = type(a) == "table" and a.n or a local y = type(b) == "table" and b.n or b log[#log+1] = x .. "<" .. y coroutine.yield() return x < y end}
local co2 = coroutine.wrap(function()
  local a, b = setmetatable({n = 1}, mt3), setmetatable({n = 2}, mt3)
  local r = {a <= b, b <= a, a >= 1, a >= 2, a <= 1, a <= 0, 1 <= a, 2 <= a, a > b}
  if a <= b then r[#r+1] = "if-le" end
  if not (b <= a) then r[#r+1] = "if-not-le" end
  while a <= b do a.n = a.n + 1 end
  r[#r+1] = a.n
  return r
end)
local r repeat r = co2() until r
print(table.concat(log, " "))
for i = 1, #r do io.write(tostring(r[i]), " ") end print()
-- a fallback interrupted by an error leaves no mark on later comparisons
local co3 = coroutine.wrap(function()
  local bad = setmetatable({}, {__lt = function() coroutine.yield("y1") error("late") end})
  local function cmp_bad() return bad <= bad end
  print("caught", pcall(cmp_bad))
  local good = setmetatable({}, {__le = function() coroutine.yield("y2") return true end})
  local function cmp_good() return good <= good end
  print("real __le", pcall(cmp_good))
  return "end"
end)
print(co3(), co3(), co3())
