-- dofile runs its chunk from a [C] frame of its own: tracebacks, getinfo
-- levels, hooks; its chunk may yield and returns all its results
local dir = os.tmpname()
os.remove(dir)
local function path(name) return dir .. "-" .. name end
local function clean(s)
  return (s:gsub(dir:gsub("%p", "%%%0"), "DIR"))
end
local function write(name, text)
  local f = assert(io.open(path(name), "wb"))
  f:write(text)
  f:close()
end
write("tb", [[
print((...) == nil, select('#', ...))
local i = debug.getinfo(2, "nSl")
print(i.what, i.name, i.short_src, i.currentline)
print(debug.getinfo(3, "l").currentline)
return CLEAN(debug.traceback("tb")), 2, nil
]])
write("err", [[
local function f() error("inner") end
f()
]])
write("co", [[
local got = coroutine.yield("out")
return "in " .. got
]])
CLEAN = clean
print(dofile(path("tb")))
print(select('#', dofile(path("tb"))))
print(pcall(function() return (clean(select(2, pcall(dofile, path("err"))))) end))
print(xpcall(dofile, function(m) return clean(debug.traceback(m)) end, path("err")))
local co = coroutine.wrap(function() return dofile(path("co")) end)
print(co())
print(co("again"))
debug.sethook(function(e)
  local i = debug.getinfo(2, "nS")
  io.write(e, " ", tostring(i.name), " ", i.what, "\n")
end, "cr")
print(select('#', dofile(path("tb"))))
debug.sethook()
for _, name in ipairs({"tb", "err", "co"}) do os.remove(path(name)) end
