-- index, newindex and comparison metamethods: results, yields through tail calls, errors, limits, names
local log = {}
local P = setmetatable({}, {
  __index = function(t, k) return k .. "!" end,
  __newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v) end,
})
print(P.a, P[1], P["b c"])
P.x = 1; P[2] = "two"
local up = P
local function f() up.y = 3; return up.z end
print(f(), table.concat(log, " "))
local self_mt = {__index = function(t, k) return function(s, n) return k .. n end end}
local obj = setmetatable({}, self_mt)
print(obj:hello(1), obj:bye(2))
-- comparisons
local mt = {}
mt.__lt = function(a, b) return a.v < b.v end
mt.__le = function(a, b) return a.v <= b.v end
mt.__eq = function(a, b) return a.v == b.v end
local function V(v) return setmetatable({v = v}, mt) end
print(V(1) < V(2), V(2) < V(1), V(1) <= V(1), V(2) <= V(1), V(1) == V(1), V(1) ~= V(2))
print(V(1) > V(2), V(2) >= V(1))
local n = 0
for i = 1, 100 do if V(i % 7) < V(3) then n = n + 1 end end
print(n)
if V(1) == V(2) then print("eq") else print("ne") end
-- results that are not booleans
mt.__lt = function() return nil end
mt.__le = function() return 0 end
print(V(1) < V(2), V(1) <= V(2))
-- a tail call to a native that yields
mt.__lt = function(a, b) return coroutine.yield("lt") end
local co = coroutine.wrap(function() if V(1) < V(2) then return "yes" else return "no" end end)
print(co(), co(true))
-- errors inside the metamethod
mt.__index = function(t, k) return t.v.missing end
print(pcall(function() return V(1).foo end))
print(debug.traceback and select(2, pcall(error)) == nil)
-- getinfo names
local G = setmetatable({}, {__index = function(t, k) local i = debug.getinfo(1, "n") return i.namewhat .. ":" .. tostring(i.name) end})
print(G.q)
print(getmetatable(V(1)).__index ~= nil)
