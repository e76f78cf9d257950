-- debug.sethook: call, return, line and count events

local function record(mask, count, f, ...)
  local ev = {}
  debug.sethook(function (e, l)
    local info = debug.getinfo(2, "nS")
    ev[#ev + 1] = e .. (l and (":" .. l) or "") .. " " .. (info.name or info.what)
  end, mask, count)
  f(...)
  debug.sethook()
  return table.concat(ev, ", ")
end

-- line events, in order, including a loop's backward jumps
local function loop(n)
  local s = 0
  for i = 1, n do
    s = s + i
  end
  return s
end
print(record("l", 0, loop, 3))

-- call and return events, with tail calls
local function leaf(x) return x end
local function tail(x) return leaf(x) end
local function outer(x) local y = tail(x) return y end
print(record("cr", 0, outer, 1))

-- natives report call and return events too
print(record("cr", 0, function () return math.abs(-1) end))

-- count events: one per instruction
local n = 0
debug.sethook(function () n = n + 1 end, "", 1)
for i = 1, 100 do end
debug.sethook()
print("count", n > 100 and n < 110)
n = 0
debug.sethook(function () n = n + 1 end, "", 4)
for i = 1, 1000 do end
debug.sethook()
print("count 4", n)

-- gethook
print(debug.gethook())
local function nop() end
debug.sethook(nop, "crl", 5)
local f, m, c = debug.gethook()
debug.sethook()
print(f == nop, m, c)

-- the hook's arguments: the event and the line (nil but for line events)
local args = {}
debug.sethook(function (...)
  args[#args + 1] = select("#", ...) .. " " .. tostring(select(2, ...))
end, "crl", 1)
local _ = 1
debug.sethook()
print(table.concat(args, ", "))

-- hooks are per thread: a coroutine's own hook
local co = coroutine.create(function (a)
  local b = coroutine.yield(a + 1)
  return b * 2
end)
local trace = {}
debug.sethook(co, function (e, l) trace[#trace + 1] = e .. (l and (":" .. l) or "") end, "crl")
print(coroutine.resume(co, 1))
print(coroutine.resume(co, 5))
print(table.concat(trace, " "))
print(debug.gethook(co) ~= nil, debug.gethook())

-- sethook from inside a hook: the new hook takes over once this one ends
local events = {}
debug.sethook(function (e)
  events[#events + 1] = "first " .. e
  debug.sethook(function (e2, l)
    events[#events + 1] = "second " .. e2
    debug.sethook()
  end, "l")
end, "c")
local function callee() return 1 end
callee()
print(table.concat(events, ", "))
print(debug.gethook())

-- an error inside a hook propagates from the hooked code
local ok, err = pcall(function ()
  debug.sethook(function () debug.sethook(); error("boom") end, "l")
  local x = 1
  return x
end)
print(ok, err)

-- inside a hook: level 2 is the hooked function, the hook is named "hook"
local seen
debug.sethook(function (e, l)
  local hooked = debug.getinfo(2, "Sl")
  local me = debug.getinfo(1, "n")
  seen = me.namewhat .. " " .. hooked.what .. " " .. tostring(hooked.currentline == l)
  debug.sethook()
end, "l")
local z = 1
print(seen)

-- ftransfer and ntransfer: the values a call receives and a return gives
local transfer = {}
debug.sethook(function (e)
  local ar = debug.getinfo(2, "rn")
  if ar.name == "pair" then
    local vals = {}
    for i = ar.ftransfer, ar.ftransfer + ar.ntransfer - 1 do
      vals[#vals + 1] = select(2, debug.getlocal(2, i))
    end
    transfer[#transfer + 1] = e .. " " .. table.concat(vals, " ")
  end
end, "cr")
local function pair(a, b) return b, a end
pair(10, 20)
debug.sethook()
print(table.concat(transfer, ", "))

-- istailcall
local function t2() return debug.getinfo(1, "t").istailcall end
local function t1() return t2() end
print(t1(), (t2()))

-- a hook cannot yield
local co2 = coroutine.create(function ()
  debug.sethook(function () coroutine.yield() end, "l")
  local x = 1
  return x
end)
print(coroutine.resume(co2))

-- hooks of a suspended coroutine, set and removed from outside
local co3 = coroutine.create(function () coroutine.yield() return 1 end)
coroutine.resume(co3)
local lines = 0
debug.sethook(co3, function () lines = lines + 1 end, "l")
print(debug.gethook(co3) ~= nil, select(2, debug.gethook(co3)))
debug.sethook(co3)
print(debug.gethook(co3), coroutine.resume(co3), lines)

-- hooks set on a coroutine that waits for the one it resumed
local outer = coroutine.create(function ()
  local me = coroutine.running()
  local inner = coroutine.create(function ()
    debug.sethook(me, function () end, "l")
    return coroutine.status(me)
  end)
  print(coroutine.resume(inner))
  local f, m = debug.gethook()
  debug.sethook()
  return f ~= nil, m
end)
print(coroutine.resume(outer))
