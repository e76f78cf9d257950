-- Call and return events of pcall, xpcall, coroutine.resume and wrap
-- functions (natives that call back into Lua), with the events of what
-- they call, errors unwinding through frames and the transfer fields.
local function h(e, l)
  local i = debug.getinfo(2, "nSlr")
  io.write(e, " ", tostring(l), " ", tostring(i.name), " ", i.what, " ",
    i.currentline, " ", i.ftransfer, " ", i.ntransfer, "\n")
end
local function f(x, y) return x, y end
local function g() error("boom") end
local function deep() local function a() g() end a() return 1 end
-- (setmetatable's own transfer fields differ: objects are made up front)
local closable = setmetatable({}, {__close = function() end})
local function closing()
  local x <close> = closable
  error("E")
end
local o = setmetatable({}, {__index = function(_, k) return k end,
  __add = function() return 1 end})
local callable = setmetatable({}, {__call = function(_, a) return a end})
debug.sethook(h, "cr")
print(pcall(f, 1, 2))
print(pcall(g))
print(pcall(deep))
print(pcall(closing))
print(pcall(pcall, f, 1, 2))
print(pcall(pcall, error, "z"))
print(pcall(string.rep, "x", 2))
print(pcall(pcall))
print(pcall(xpcall, f))
print(xpcall(f, print, 2))
print(xpcall(g, function(m) return "H:" .. m end))
local function tp() return pcall(f, 3) end
print(tp())
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
print(co(1))
print(co(5))
print(pcall(coroutine.wrap(function() error("in co") end)))
local c2 = coroutine.create(function(a) coroutine.yield(a) error("x") end)
print(coroutine.resume(c2, 3))
print(coroutine.resume(c2))
print(coroutine.resume(c2))
print(pcall(coroutine.resume))
local t = {3, 1, 2}
table.sort(t, function(a, b) return a < b end)
print(string.gsub("ab", "%w", function(c) return c:upper() end))
print(o.x, o + 1)
local function tc(n) if n == 0 then return 0 end return tc(n - 1) end
print(tc(2))
print(pcall(callable, 5))
debug.sethook()

-- line events around protected calls
debug.sethook(h, "crl")
local r = pcall(f, 1)
local w = coroutine.wrap(function(a)
  local b = coroutine.yield(a + 1)
  return b * 2
end)
w(1)
w(2)
debug.sethook()

-- an error raised by the return hook of pcall is not caught by that pcall
local armed = false
debug.sethook(function(e)
  local i = debug.getinfo(2, "n")
  if armed and e == "return" and i.name == "pcall" then
    armed = false
    error("from hook", 0)
  end
end, "r")
armed = true
print(pcall(function() return pcall(f) end))
armed = true
print(pcall(function() local res = {pcall(error, "e")} return "after", res[1] end))
-- nor one raised by its call hook
debug.sethook(function(e)
  local i = debug.getinfo(2, "n")
  if e == "call" and i.name == "pcall" then error("call hook", 0) end
end, "c")
print(select(2, xpcall(function() return pcall(f) end,
  function(m) return "H " .. tostring(m) end)))
debug.sethook()

-- count and line hooks through an error
local n, lines = 0, {}
debug.sethook(function(e, l)
  if e == "count" then n = n + 1 else lines[#lines + 1] = l end
end, "l", 3)
local ok = pcall(function()
  local x = 1
  x = x + 1
  error("z")
end)
local y = ok
debug.sethook()
print(n, table.concat(lines, " "))

-- hooks on both the resumer and the coroutine
local c3 = coroutine.create(function(a)
  local b = coroutine.yield(a)
  return pcall(error, b)
end)
local ev = {}
local function rec(e)
  local i = debug.getinfo(2, "nS")
  ev[#ev + 1] = e .. ":" .. tostring(i.name)
end
debug.sethook(c3, rec, "cr")
debug.sethook(rec, "cr")
coroutine.resume(c3, 1)
coroutine.resume(c3, 2)
debug.sethook()
print(table.concat(ev, " "))
