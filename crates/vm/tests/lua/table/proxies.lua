-- Library functions on proxy tables: the order of their __index, __newindex
-- and __len calls, and their errors, as lua5.4 makes them.
local log = {}
local function proxy(n)
  local store = {}
  for i = 1, n do store[i] = i * 10 end
  return setmetatable({}, {
    __index = function(_, k) log[#log+1] = "get" .. tostring(k) return store[k] end,
    __newindex = function(_, k, v) log[#log+1] = "set" .. tostring(k) .. "=" .. tostring(v) store[k] = v end,
    __len = function() log[#log+1] = "len" return n end,
  }), store
end
local function flush(tag) print(tag, table.concat(log, " ")) log = {} end
local p = proxy(3) table.insert(p, 99) flush("insert")
p = proxy(3) table.insert(p, 1, 5) flush("insert1")
p = proxy(3) print(table.remove(p)) flush("remove")
p = proxy(3) print(table.remove(p, 1)) flush("remove1")
p = proxy(3) print(table.concat(p, ",")) flush("concat")
p = proxy(3) print(table.unpack(p)) flush("unpack")
p = proxy(4) table.sort(p, function(a, b) return a > b end) flush("sort")
local q = proxy(3) p = proxy(2) table.move(p, 1, 2, 2, q) flush("move")
p = proxy(3) for i, v in ipairs(p) do end flush("ipairs")
print(pcall(table.insert, setmetatable({}, {__len = function() return 2.5 end}), 1)) flush("badlen")
print(pcall(table.insert, setmetatable({}, {__len = function() return "3" end}), 1)) flush("strlen")
print(pcall(function() return #setmetatable({}, {__len = function() return "x" end}) end))
print(pcall(table.concat, setmetatable({}, {__len = function() return 2 end, __index = function(_, k) return k == 1 and "a" or {} end})))
print(pcall(table.unpack, {}, 1, 1e8))
print(pcall(function() return type(table.move({}, 1, math.maxinteger, 2)) end))
print(pcall(function() return type(table.move({1, 2}, -1, 1, 1)) end))
print(pcall(table.insert, {1, 2}, 5, 1))
print(pcall(table.insert, {1, 2}, 0, 1))
print(pcall(table.remove, {1, 2}, 5))
print(table.remove({1, 2}, 3), table.remove({}, 0), #{table.remove({})})
print(pcall(table.concat, {1, 2}, ",", 1, 3))
print(pcall(next, setmetatable({}, {__pairs = 1})))
for k, v in pairs(setmetatable({}, {__pairs = function(t) return function(_, k) if not k then return 1, "one" end end, t, nil end})) do print("pairs mm", k, v) end
