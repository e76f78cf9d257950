-- Corners of the interpreter's fast paths: tail calls that reuse the
-- frame, arithmetic and comparisons on each kind of operand, upvalues.

-- tail calls: missing, extra and multiple-result arguments
local function two(a, b) return a, b end
local function tail_missing(x) return two(x) end
local function tail_extra(x) return two(x, x + 1, x + 2) end
local function many() return 1, 2, 3 end
local function tail_multi() return two(many()) end
local function vararg(...) return select('#', ...), ... end
local function tail_vararg() return vararg(1, nil, 3) end
local function tail_native(s) return string.upper(s) end
print(tail_missing(1))
print(tail_extra(1))
print(tail_multi())
print(tail_vararg())
print(tail_native("abc"))
local function count(n, acc) if n == 0 then return acc end return count(n - 1, acc + 1) end
print(count(100000, 0))
local function info() return debug.getinfo(1, "t").istailcall end
local function call_info() return info() end
print(call_info(), (info()))
local co = coroutine.wrap(function(n) return count(n, 0) end)
print(co(10))
print(pcall(function() return count(nil, 0) end))
local function tail_error() return (nil)() end
print(pcall(tail_error))

-- arithmetic with constants and registers on every operand kind
local vals = { 7, -7, 2.5, -0.5, "10", "0x10", "2.5" }
for _, a in ipairs(vals) do
  local b = 3
  print(a + 1, a - 1, a * 2, a / 2, a // 2, a % 3, a ^ 2, -a)
  print(a + b, a - b, a * b, a / b, a // b, a % b, a ^ b)
  print(a + 0.5, a * 0.5, 3.0 - a, a == 7, a ~= 7.0)
  if type(a) == "number" then
    print(a < 3, a <= 3, a > 3, a >= 3, a < 2.5, a >= 2.5, a < b, a <= b)
  end
end
print(7 // 0.0, -7 // 0.0, 7 % math.huge, -7 % math.huge, 5.5 % -2)
print(math.maxinteger + 1 == math.mininteger, math.mininteger // -1)
print(pcall(function() local x = 1; return x // 0 end))
print(pcall(function() local x = 1; return x % 0 end))
print(pcall(function() local t = {}; return t + 1 end))
print(pcall(function() local t = {}; return 1 - t end))
print(pcall(function() local s = "x"; return s * 2 end))
print(pcall(function() return -{} end))
print(pcall(function() local x = 1.5; return x | 1 end))
print(pcall(function() local x = "3"; return x << 1, 1 << x, x >> 1, ~x end))
print(pcall(function() local t = {}; return t < 1 end))
print(pcall(function() local t = {}; return 1 <= t end))
print(pcall(function() local t = {}; return t > 1.5 end))
print(pcall(function() return "a" < "b", "b" <= "a" end))
local mt = { __add = function(a, b) return "add" end, __lt = function() return true end,
  __le = function() return false end, __unm = function() return "unm" end }
local obj = setmetatable({}, mt)
print(obj + 1, 1 + obj, obj + 2.5, -obj, obj < 1, 1 < obj, obj <= 2, 2 >= obj)

-- upvalues: closed, open, shared
local function counter()
  local c = 0
  return function() c = c + 1; return c end, function() return c end
end
local inc, get = counter()
inc(); inc()
print(get())
local shared = 0
local function bump() shared = shared + 1 end
for _ = 1, 3 do bump() end
print(shared)
