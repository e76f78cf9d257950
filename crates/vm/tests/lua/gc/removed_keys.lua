-- An entry removed from an ordinary table (t[k] = nil) no longer keeps its
-- key object alive, while `next` can still continue from the removed key.
local log = {}
local function mk(name)
  return setmetatable({}, {__gc = function() log[#log + 1] = name end})
end

local small = {}
do local o = mk("small"); small[o] = true; small[o] = nil end

local big = {}
for i = 1, 100 do big["k" .. i] = i end
do local o = mk("big"); big[o] = true; big[o] = nil end

local weakv = setmetatable({}, {__mode = "v"})
local strong = {}
do local cell = mk("cell"); weakv[1] = cell; strong[cell] = true; strong[cell] = nil end

local tr = {}
for i = 1, 3 do tr[mk("traversed" .. i)] = true end
local seen = 0
for k in pairs(tr) do tr[k] = nil; seen = seen + 1 end

local kept = {}
local alive = mk("alive")
kept[alive] = 1; kept[alive] = nil; kept[alive] = 2

collectgarbage(); collectgarbage()
table.sort(log)
print(table.concat(log, " "))
print(seen, weakv[1], kept[alive], next(tr))
