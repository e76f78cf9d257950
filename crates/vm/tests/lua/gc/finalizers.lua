-- __gc: order, resurrection, and how finalized objects look from weak tables.

local log = {}
local function note(s) log[#log + 1] = s end
local function flush(title)
  print(title, table.concat(log, " "))
  log = {}
end

-- Finalizers run in reverse order of marking (setmetatable with __gc).
do
  local mt = {__gc = function (o) note(o.name) end}
  for i = 1, 5 do setmetatable({name = "o" .. i}, mt) end
  collectgarbage()
  flush("order")
end

-- Marking order, not creation order, decides.
do
  local mt = {__gc = function (o) note(o.name) end}
  local a, b, c = {name = "a"}, {name = "b"}, {name = "c"}
  setmetatable(c, mt); setmetatable(a, mt); setmetatable(b, mt)
  a, b, c = nil, nil, nil
  collectgarbage()
  flush("marking order")
end

-- A __gc field added after setmetatable does not mark the object.
do
  local mt = {}
  setmetatable({}, mt)
  mt.__gc = function () note("late") end
  local mt2 = {__gc = true}
  setmetatable({}, mt2)
  mt2.__gc = function () note("replaced") end
  collectgarbage()
  flush("late __gc")
end

-- A finalizer removed before collection does not run.
do
  local mt = {__gc = function () note("removed") end}
  setmetatable({}, mt)
  mt.__gc = nil
  collectgarbage()
  flush("removed __gc")
end

-- Resurrection: the object comes back once; a new setmetatable marks it again.
do
  local saved
  local count = 0
  local mt = {}
  mt.__gc = function (o)
    count = count + 1
    saved = o
    if count < 3 then setmetatable(o, mt) end
  end
  setmetatable({}, mt)
  for _ = 1, 5 do
    saved = nil
    collectgarbage()
  end
  print("resurrected", count, saved ~= nil)
end

-- Weak values are cleared before finalizers run; weak keys after, so a
-- finalizer still finds its object as a key.
do
  local wv = setmetatable({}, {__mode = "v"})
  local wk = setmetatable({}, {__mode = "k"})
  local seen
  local obj = setmetatable({}, {__gc = function (o)
    seen = string.format("value %s, key %s", tostring(wv[1] == o), tostring(wk[o]))
  end})
  wv[1] = obj
  wk[obj] = "entry"
  obj = nil
  collectgarbage()
  print("during __gc", seen)
  print("after __gc", wv[1], next(wk) ~= nil)
  collectgarbage()
  print("next cycle", next(wk))
end

-- An ephemeron entry whose key is being finalized keeps its value for the
-- finalizer, and the value keeps what it reaches.
do
  local e = setmetatable({}, {__mode = "k"})
  local result
  local key = setmetatable({}, {__gc = function (o)
    local v = e[o]
    result = v and v.inner and v.inner.x
  end})
  e[key] = {inner = {x = "reachable"}}
  key = nil
  collectgarbage()
  print("ephemeron during __gc", result)
  collectgarbage()
  print("ephemeron after", next(e))
end

-- A resurrected key keeps its ephemeron entry alive for good.
do
  local e = setmetatable({}, {__mode = "k"})
  local back
  local key = setmetatable({}, {__gc = function (o) back = o end})
  e[key] = {"still here"}
  key = nil
  collectgarbage()
  collectgarbage()
  print("resurrected key", e[back] and e[back][1])
end

-- A weak table reachable only from an object being finalized is still
-- cleared of dead entries before the finalizer sees it.
do
  local result
  local holder = {}
  holder.weak = setmetatable({}, {__mode = "k"})
  holder.weak[{}] = 1
  holder.weak[holder] = 2
  setmetatable(holder, {__gc = function (o)
    local n = 0
    for _ in pairs(o.weak) do n = n + 1 end
    result = n
  end})
  holder = nil
  collectgarbage()
  print("weak table inside finalized object", result)
end

-- Errors in finalizers do not stop the others.
do
  local mt = {__gc = function (o)
    note(o.name)
    if o.name == "bad" then error("boom") end
  end}
  setmetatable({name = "first"}, mt)
  setmetatable({name = "bad"}, mt)
  setmetatable({name = "last"}, mt)
  collectgarbage()
  flush("errors")
end

-- collectgarbage inside a finalizer fails (returns nothing useful).
do
  local r = {}
  setmetatable({}, {__gc = function ()
    r = {collectgarbage(), collectgarbage("count"), collectgarbage("step"), collectgarbage("isrunning")}
  end})
  collectgarbage()
  print("inside __gc", #r, r[1], r[2], r[3], r[4])
end

-- Dead coroutines are collected, with what their stacks held.
do
  local e = setmetatable({}, {__mode = "k"})
  local co = coroutine.create(function (x) coroutine.yield(x) end)
  coroutine.resume(co, setmetatable({}, {__gc = function () note("stack value") end}))
  e[co] = true
  co = nil
  collectgarbage()
  flush("coroutine")
  print("coroutine key", next(e))
end

-- Userdata get finalizers through debug.setmetatable, marked once.
do
  local f = io.tmpfile()
  debug.setmetatable(f, {__gc = function (o) note(type(o)) end})
  debug.setmetatable(f, getmetatable(f))
  f = nil
  collectgarbage()
  flush("userdata")
end
