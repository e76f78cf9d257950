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
