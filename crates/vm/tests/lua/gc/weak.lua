-- Weak tables: traversal while the collector clears entries, and keys of
-- removed entries (strings included) do not keep memory alive.
collectgarbage("incremental")

-- Fields may be cleared during a traversal, with collections in between.
for _, mode in ipairs({"k", "v", "kv"}) do
  local t = setmetatable({}, {__mode = mode})
  local keep = {}
  for i = 1, 40 do
    local k = (mode == "v") and ("key" .. i) or {}
    local v = {}
    t[k] = v
    if i % 2 == 0 then keep[#keep + 1] = {k, v} end
  end
  local kept = {}
  for _, p in ipairs(keep) do kept[p[1]] = true end
  local visited = 0
  for k in pairs(t) do
    if kept[k] then visited = visited + 1 end
    t[k] = nil
    collectgarbage()
  end
  print(mode, visited, next(t))
end

-- Strings are values: never removed from weak tables while their entry lives.
do
  local t = setmetatable({}, {__mode = "kv"})
  t[string.rep("k", 100)] = string.rep("v", 100)
  t[1] = string.rep("x", 50)
  collectgarbage()
  print("strings", t[string.rep("k", 100)] == string.rep("v", 100), #t[1])
end

-- A removed entry's long string key is freed with the entry.
do
  collectgarbage()
  local before = collectgarbage("count")
  local t = setmetatable({}, {__mode = "v"})
  t[string.rep("a", 1 << 20)] = {}
  collectgarbage()
  collectgarbage()
  print("long key freed", collectgarbage("count") < before + 512, next(t))
end

-- A weak-valued array part.
do
  local t = setmetatable({}, {__mode = "v"})
  local keep = {}
  for i = 1, 10 do t[i] = {}; if i % 3 == 0 then keep[i] = t[i] end end
  collectgarbage()
  local present = {}
  for i = 1, 10 do if t[i] then present[#present + 1] = i end end
  print("array part", table.concat(present, ","))
end

-- With weak keys and values, a string key goes with its entry in the same
-- collection, and stays as long as its entry does.
do
  collectgarbage()
  local before = collectgarbage("count")
  local t = setmetatable({}, {__mode = "kv"})
  local v = {}
  t[string.rep("s", 100)] = v
  t[string.rep("d", 1 << 20)] = {}
  collectgarbage()
  print("kv string key freed", collectgarbage("count") < before + 512)
  for _ = 1, 3 do collectgarbage() end
  local k, w = next(t)
  print("kv string key kept", k == string.rep("s", 100), w == v, next(t, k))
end
