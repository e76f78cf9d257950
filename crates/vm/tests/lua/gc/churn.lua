-- Random churn of weak tables (all modes), ephemeron cycles, finalizers
-- that resurrect, traversals that clear entries, with collections in
-- between. Entries whose key and value are pinned must stay exactly.
math.randomseed(7)
local R = math.random
local modes = {"k", "v", "kv"}
local tables, shadow = {}, {}
for i = 1, 9 do
  tables[i] = setmetatable({}, {__mode = modes[(i % 3) + 1]})
  shadow[i] = {}
end
local pinned, loose = {}, {}
local finalized = 0
local gcmt = {__gc = function (o)
  finalized = finalized + 1
  if R() < 0.3 then loose[#loose + 1] = o end
end}

local function new_value()
  local r = R(6)
  if r == 1 then return {}
  elseif r == 2 then return setmetatable({}, gcmt)
  elseif r == 3 then local x = {} return function () return x end
  elseif r == 4 then return coroutine.create(function () coroutine.yield() end)
  elseif r == 5 then return string.rep("s", R(40)) .. R(1000)
  else return R(100) end
end

local function any_value()
  local r = R(3)
  if r == 1 and #pinned > 0 then return pinned[R(#pinned)], true end
  if r == 2 and #loose > 0 then return loose[R(#loose)], false end
  return new_value(), false
end

local function check(where)
  for i, t in ipairs(tables) do
    for k, v in pairs(shadow[i]) do
      if t[k] ~= v then error(where .. ": lost an entry of a '" .. getmetatable(t).__mode .. "' table") end
    end
  end
end

for _ = 1, 20000 do
  local i = R(#tables)
  local t, s = tables[i], shadow[i]
  local op = R(10)
  if op <= 4 then
    local k, kp = any_value()
    local v, vp = any_value()
    t[k] = v
    s[k] = (kp and vp) and v or nil
  elseif op == 5 then
    local k = next(t)
    if k ~= nil then t[k] = nil; s[k] = nil end
  elseif op == 6 then
    pinned[#pinned + 1] = new_value()
  elseif op == 7 and #loose > 0 then
    table.remove(loose, R(#loose))
  elseif op == 8 then
    for k in pairs(t) do
      if R() < 0.3 then t[k] = nil; s[k] = nil end
      if R() < 0.05 then collectgarbage() end
    end
  elseif op == 9 then
    local e = tables[3 * R(3) - 1]     -- weak keys only
    local a, b = {}, {}
    e[a] = {b}; e[b] = {a}
    if R() < 0.5 then loose[#loose + 1] = a end
  elseif R() < 0.1 then
    collectgarbage()
    check("after a collection")
  else
    for n = 1, 100 do local _ = {n} end
  end
end
collectgarbage()
check("at the end")
print("churn survived", finalized > 0)
