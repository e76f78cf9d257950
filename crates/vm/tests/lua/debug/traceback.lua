-- debug.traceback of deep stacks: luaL_traceback keeps the first 10 and
-- the last 11 levels past 22
local function f(n, ...)
  if n == 0 then return debug.traceback(...) end
  return (f(n - 1, ...))
end
for _, n in ipairs{18, 19, 20, 21, 30, 200} do
  local s = f(n, "msg")
  local lines = 0
  for _ in s:gmatch("\n") do lines = lines + 1 end
  print(n, lines, s:match("skipping %d+ levels"))
end
print(f(25, "deep"))
print(f(25, "level 3", 3))
print(f(25, nil, 20))
print(f(25, "from 23", 23))
print(f(25, "past the end", 40))
local co = coroutine.create(function (n) coroutine.yield(f(n, "in coroutine")) end)
print(select(2, coroutine.resume(co, 22)))
print(debug.traceback(co, "suspended, deep inside"))
local co2 = coroutine.create(function () f(30) local function g(n) if n == 0 then coroutine.yield() end g(n - 1) end g(25) end)
coroutine.resume(co2)
print(debug.traceback(co2, "suspended"))
print(debug.traceback(co2, "suspended, from 5", 5))
-- errors keep their message and get the traceback from the handler
local function rec(n) if n == 0 then error("bottom") end rec(n - 1) end
print(select(2, xpcall(rec, debug.traceback, 40)))
