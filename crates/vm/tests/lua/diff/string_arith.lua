-- Arithmetic on strings goes through the string metatable, as in 5.4:
-- changing or removing its metamethods changes what "10" + 1 does.
local function try(f, ...) local ok, e = pcall(f, ...) print(ok, e) end
local s, n, t = "10", 3, {}
try(function() return s + n end)
try(function() return n - s end)
try(function() return s * "2" end)
try(function() return s / 4 end)
try(function() return s % "3" end)
try(function() return s ^ 2 end)
try(function() return s // "3" end)
try(function() return -s end)
try(function() return "0x10" + 0 end)
try(function() return " 5 " + 1 end)
try(function() return "5." + 1 end)
try(function() return "abc" + 1 end)
try(function() return 1 + "abc" end)
try(function() return t + "1" end)
try(function() return "1" + t end)
try(function() return "1" + nil end)
try(function() local x = "1" return x // 0 end)
try(function() local x = "1" return x % 0 end)
try(function() return "9007199254740993" + 0 end)
try(function() return "1e308" * 10 end)
try(function() return math.type("1" + 1), math.type("1.0" + 1) end)
try(function() return s & 1 end)
try(function() return 1 | "3" end)
try(function() return ~s end)
try(function() return s .. 1 end)
try(function() return s < 1 end)
print(10 == "10", "10" + 0 == 10)
local mt = getmetatable("")
local old = mt.__add
mt.__add = function(a, b) return "custom:" .. tostring(a) .. tostring(b) end
try(function() return "1" + 2 end)
try(function() return 2 + "1" end)
mt.__add = old
mt.__sub = nil
try(function() return "5" - 1 end)
try(function() return 5 - "1" end)
try(function() local a = {} return a.x - "1" end)
mt.__unm = nil
try(function() return -"2" end)
for i = 1, 3 do local x = "2" * i io.write(x, " ") end print()
print(pcall(string.rep, "x", "3"))
print(("7"):rep(2) + 1)
