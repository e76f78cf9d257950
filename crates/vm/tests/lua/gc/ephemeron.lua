-- Ephemeron tables (weak keys, strong values): a value is kept only while
-- its key is reachable from outside the entry.

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

local mode_k = {__mode = "k"}

-- A value that refers to its own key does not keep the entry alive.
do
  local e = setmetatable({}, mode_k)
  for i = 1, 10 do
    local k = {}
    e[k] = {k, i}
  end
  local f = {}
  e[f] = function () return f end
  local kept = {}
  e[kept] = {kept}
  collectgarbage()
  print("self cycles", count(e), e[kept][1] == kept)
end

-- Cycles through two entries: k1 -> v1 -> k2 -> v2 -> k1.
do
  local e = setmetatable({}, mode_k)
  local k1, k2 = {}, {}
  e[k1] = {next = k2}
  e[k2] = {next = k1}
  k1, k2 = nil, nil
  collectgarbage()
  print("two-entry cycle", count(e))
end

-- A chain of ephemerons: each value holds the key of the next entry.
local function chain(e, n, backwards)
  local keys = {}
  for i = 1, n do keys[i] = {} end
  local first, last, step = 1, n - 1, 1
  if backwards then first, last, step = n - 1, 1, -1 end
  for i = first, last, step do e[keys[i]] = {next = keys[i + 1], i = i} end
  e[keys[n]] = {i = n}
  return keys[1]
end

for _, backwards in ipairs({false, true}) do
  local e = setmetatable({}, mode_k)
  local head = chain(e, 200, backwards)
  collectgarbage()
  local n, k = 0, head
  while k do n = n + 1; k = e[k].next end
  print("chain kept", backwards, n, count(e))
  head = nil
  collectgarbage()
  print("chain freed", backwards, count(e))
end

-- A key reachable only from the value of an entry in another ephemeron table.
do
  local e1 = setmetatable({}, mode_k)
  local e2 = setmetatable({}, mode_k)
  local root = {}
  local mid = {}
  e1[root] = {mid}
  e2[mid] = {"reached through e1"}
  collectgarbage()
  print("across tables", e2[e1[root][1]][1], count(e1), count(e2))
  root = nil
  collectgarbage()
  print("across tables freed", count(e1), count(e2))
end

-- A chain that alternates between two tables, built out of order.
do
  local a = setmetatable({}, mode_k)
  local b = setmetatable({}, mode_k)
  local keys = {}
  for i = 1, 50 do keys[i] = {} end
  for i = 49, 1, -1 do
    local t = (i % 2 == 0) and a or b
    t[keys[i]] = {next = keys[i + 1]}
  end
  local head = keys[1]
  keys = nil
  collectgarbage()
  local n, k = 0, head
  while k do
    n = n + 1
    local v = a[k] or b[k]
    k = v and v.next
  end
  print("alternating chain", n, count(a) + count(b))
  head = nil
  collectgarbage()
  print("alternating chain freed", count(a) + count(b))
end

-- Non-collectable keys keep their values; values that are strings or
-- numbers stay while their object key lives.
do
  local e = setmetatable({}, mode_k)
  local k = {}
  e[1] = {}
  e.name = {}
  e[k] = "text"
  e[{}] = 10
  collectgarbage()
  print("plain keys", type(e[1]), type(e.name), e[k], count(e))
end

-- Weak keys and weak values ('kv'): an entry goes when either side dies.
do
  local e = setmetatable({}, {__mode = "kv"})
  local k, v = {}, {}
  e[k] = v
  e[{}] = v
  e[k] = e[k]
  e[v] = {}
  collectgarbage()
  print("all weak", count(e), e[k] == v)
end

-- The mode is read when the metatable is set: a key made weak after an
-- entry was stored is collected too.
do
  local e = {}
  e[{}] = {}
  setmetatable(e, mode_k)
  collectgarbage()
  print("weak after store", count(e))
end

-- Entries stored while a cycle is under way.
do
  local e = setmetatable({}, mode_k)
  local keep = {}
  for i = 1, 2000 do
    local k = {}
    e[k] = {k}
    if i % 100 == 0 then keep[#keep + 1] = k end
  end
  collectgarbage()
  local live = 0
  for _, k in ipairs(keep) do if e[k][1] == k then live = live + 1 end end
  print("stress", live, count(e))
end
