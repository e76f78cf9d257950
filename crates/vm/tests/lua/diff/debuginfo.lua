-- debug.getinfo fields (u, L, t, r, f) and transfer information in hooks,
-- compared with lua5.4.
local function f(a, b, ...)
  local x = 1
  if a then
    x = 2
  end
  return x
end
local i = debug.getinfo(f, "SulL")
local lines = {} for l in pairs(i.activelines) do lines[#lines+1] = l end table.sort(lines)
print(i.nups, i.nparams, i.isvararg, i.linedefined, i.lastlinedefined, i.what, i.source, i.short_src, table.concat(lines, ","))
local m = debug.getinfo(1, "SulL") local ml = {} for l in pairs(m.activelines) do ml[#ml+1] = l end table.sort(ml)
print(m.nups, m.nparams, m.isvararg, m.linedefined, m.what, #ml, ml[1], ml[#ml])
print(debug.getinfo(print, "SulL").activelines, debug.getinfo(print, "u").nparams, debug.getinfo(print, "u").isvararg)
local function tc() return debug.getinfo(1, "t").istailcall end
local function caller() return tc() end
print(caller(), (function() local r = tc() return r end)())
debug.sethook(function(ev) local r = debug.getinfo(2, "r") if r.ftransfer > 0 then io.write(ev, ":", r.ftransfer, ":", r.ntransfer, " ") end end, "cr")
local function g(a, b) return a, b, 3 end
g(1, 2)
debug.sethook()
print()
print(debug.getinfo(1, "f").func ~= nil, debug.getinfo(f, "f").func == f)
local co = coroutine.create(function(x) coroutine.yield(x) end) coroutine.resume(co, 1)
print(debug.getinfo(co, 1, "Sl").currentline, debug.getinfo(co, 0, "n").name, debug.getinfo(co, 2))
print(pcall(debug.getinfo, co, 1, "x"))
print(debug.getlocal(co, 1, 1))
print(debug.setlocal(1, 1, "changed"))
