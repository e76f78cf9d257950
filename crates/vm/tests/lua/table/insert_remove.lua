-- table.insert/remove move elements in bulk when no metamethod can see it:
-- results must equal the element-by-element moves.
local t = {}
for i = 1, 20000 do table.insert(t, i) end
for i = 1, 10000 do table.remove(t) end
for i = 1, 2000 do table.insert(t, 1, i) end
for i = 1, 1000 do table.remove(t, 1) end
for i = 1, 500 do table.insert(t, #t // 2, -i) end
local s = 0
for i = 1, #t do s = (s * 31 + t[i]) % 1000003 end
print(#t, s)
-- holes, hash part, metatables
local h = {1, 2, 3, nil, 5}
table.insert(h, 2, "x"); print(table.concat({tostring(h[1]), tostring(h[2]), tostring(h[3]), tostring(h[4]), tostring(h[5]), tostring(h[6])}, " "))
local g = {}; g[1] = 1; g[2] = 2; g[3] = 3; g[10] = 10
table.insert(g, 1, 0); print(g[1], g[2], g[3], g[4], g[5], g[10], #g)
print(table.remove(g, 1), g[1], g[2], g[3], g[4], #g)
local log = {}
local m = setmetatable({}, {__index = function(_, k) log[#log+1] = "get" .. k return k end,
  __newindex = function(t, k, v) log[#log+1] = "set" .. k rawset(t, k, v) end, __len = function() return 3 end})
table.insert(m, 1, "a"); table.remove(m, 1)
print(table.concat(log, ","))
print(pcall(table.insert, {1,2,3}, 5, 1), pcall(table.insert, {1,2,3}, 0, 1))
local e = {}; table.insert(e, 1, "only"); print(e[1], #e, table.remove(e, 1), #e, table.remove(e), table.remove({}, 0))
local u = {n = 1, 10, 20, 30}; print(table.remove(u, #u + 1), table.remove(u, 2), u[1], u[2], u[3])
