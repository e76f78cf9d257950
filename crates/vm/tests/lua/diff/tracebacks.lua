-- Tracebacks: how each kind of caller names a function, coroutines,
-- levels, compared byte for byte with lua5.4.
local M = {}
function M.field(f) return f() + 0 end
function M:method(f) return (f()) end
local function loc(f) local r = f() return r end
local up = function(f) local r = f() return r end
function globalfn(f) local r = f() return r end
local function tb() print((debug.traceback("msg", 1):gsub("0x%x+", "ADDR"))) return 1 end
M.field(tb)
M:method(tb)
loc(tb)
;(function() local r = up(tb) return r end)()
globalfn(tb)
local mt = setmetatable({}, {__add = function(a, b) tb() return 1 end, __index = function(t, k) tb() return 1 end, __call = function(self) tb() return 1 end})
local _ = mt + 1
_ = mt.x
mt()
for _ in function() tb() return nil end do end
table.sort({3, 2, 1}, function(a, b) tb() return a < b end)
string.gsub("a", "a", function() tb() end)
local co = coroutine.create(function() tb() coroutine.yield() end)
coroutine.resume(co)
print((debug.traceback(co):gsub("0x%x+", "ADDR")))
print(debug.traceback(co, "hi", 1))
print(pcall(string.rep))
print(pcall(M.field))
print(select(2, xpcall(function() local t = nil; return t.x end, debug.traceback)))
print(debug.traceback(42), debug.traceback(nil), debug.traceback({}) ~= nil)
local t = setmetatable({}, {__tostring = function() return "TS" end})
print(debug.traceback(t) == t)
print((debug.traceback("x", 50)))
local function deep(n) if n == 0 then print((debug.traceback("deep"))) else deep(n - 1) end end
deep(30)
-- A module that is a function is named by the module's name.
package.loaded.modfn = function(f) local r = f() return r end
local modfn = require("modfn")
modfn(tb)
-- `pairs` calls `__pairs` as a C function does: no position, a "[C]" level.
print(pcall(function() for k in pairs(setmetatable({}, {__pairs = function() error("pairs", 2) end})) do end end))
for k in pairs(setmetatable({}, {__pairs = function() print(debug.traceback("tb")) return next, {} end})) do end
-- A stripped function has no line numbers.
local stripped = load(string.dump(function() print(debug.traceback("in stripped")) end, true))
stripped()
