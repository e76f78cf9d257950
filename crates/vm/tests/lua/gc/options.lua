-- collectgarbage's options and results (the stand-alone lua5.4 starts in
-- generational mode, an embedded state in incremental: set one first).
collectgarbage("incremental")

print(collectgarbage("generational"), collectgarbage("generational"))
print(collectgarbage("incremental"), collectgarbage("incremental"))
print(collectgarbage("generational", 20, 100), collectgarbage("incremental", 0, 0, 0))

-- Pause and step multiplier are stored as Lua 5.4 stores them.
print(collectgarbage("setpause", 150), collectgarbage("setpause"), collectgarbage("setpause", 200))
print(collectgarbage("setstepmul", 300), collectgarbage("setstepmul"), collectgarbage("setstepmul", 100))
print(collectgarbage("setpause", 2000), collectgarbage("setpause", -5), collectgarbage("setpause", 200))
print(collectgarbage("incremental", 100, 400, 13), collectgarbage("setpause", 200), collectgarbage("setstepmul", 100))

print(collectgarbage(), collectgarbage("collect"), collectgarbage("step", 1 << 20))
print(math.type(collectgarbage("count")), collectgarbage("count") > 0)

print(collectgarbage("isrunning"), collectgarbage("stop"), collectgarbage("isrunning"))
print(collectgarbage("step", 1 << 20), collectgarbage("isrunning"))
print(collectgarbage("restart"), collectgarbage("isrunning"))

print(select("#", collectgarbage("count")), select("#", collectgarbage("stop")), select("#", collectgarbage("restart")))

local function try(...)
  print(pcall(function (...) return collectgarbage(...) end, ...))
end
try("nope")
try(1)
try("step", "x")
try("setpause", 1.5)
try("incremental", 1, 2, {})
print(type(collectgarbage("count", "ignored")))

-- "count" follows memory use.
collectgarbage()
local before = collectgarbage("count")
local big = {}
for i = 1, 20000 do big[i] = {i} end
local during = collectgarbage("count")
big = nil
collectgarbage()
local after = collectgarbage("count")
print("count grows", during > before + 100, "and shrinks", after < during - 100)

-- "step": true when the step ended a cycle.
do
  local function dosteps(kb)
    collectgarbage()
    local a = {}
    for i = 1, 100 do a[i] = {{}} end
    a = nil
    local x = collectgarbage("count")
    local i = 0
    repeat i = i + 1 until collectgarbage("step", kb)
    return i, collectgarbage("count") < x
  end
  collectgarbage("stop")
  print("steps", dosteps(20000))
  print("small steps end a cycle", select(2, dosteps(1)))
  collectgarbage("restart")
  local big = {}
  for i = 1, 50000 do big[i] = {} end
  collectgarbage()
  print("a small step on a big heap", collectgarbage("step", 1), collectgarbage("step", 0))
  local n = 1
  while not collectgarbage("step", 1) do n = n + 1 end
  print("many small steps", n > 10)
  -- Inside a coroutine, a protected call and a metamethod.
  local co = coroutine.wrap(function () repeat until collectgarbage("step", 100000) return "ended" end)
  print(co(), pcall(collectgarbage, "step", 100000))
  local t = setmetatable({}, {__index = function (_, k) return collectgarbage("step", k) end})
  print(t[100000], select("#", collectgarbage("step")))
end
