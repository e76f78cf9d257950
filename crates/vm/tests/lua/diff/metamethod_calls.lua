-- arithmetic metamethods run in the interpreter's loop: results, tail calls, errors, the C-call limit, yields
local mt = {}
local function V(x) return setmetatable({x = x}, mt) end
local function plain(a, b) return V(a.x + b.x) end
mt.__add = function(a, b) return plain(a, b) end   -- a tail call
mt.__sub = function(a, b) local r = V(a.x - b.x); return r end
mt.__mul = function(a, b) return a.x * (type(b) == "table" and b.x or b), "extra" end
mt.__div = function() end                          -- no result: nil
mt.__mod = function(a, b) return tostring(a.x) end  -- tail call to a native
print((V(1) + V(2)).x, (V(5) - V(3)).x, V(3) * V(4), V(3) * 2, V(1) / V(2), V(7) % 1)
-- in expressions and loops
local acc = V(0)
for i = 1, 10 do acc = acc + V(i) end
print(acc.x)
-- errors inside the metamethod, caught
mt.__idiv = function(a, b) error("idiv failed: " .. a.x) end
for i = 1, 300 do
  local ok, e = pcall(function() return V(i) // V(1) end)
  if i == 300 then print(ok, e) end
end
-- deep recursion through the metamethod
mt.__pow = function(a, b) if a.x == 0 then return 0 end return V(a.x - 1) ^ b end
print(V(150) ^ 1)
print(pcall(function() return V(1000) ^ 1 end))
-- after the overflow, the count is right again
print(V(150) ^ 1)
-- yields inside the metamethod (also through a tail call)
mt.__band = function(a, b) coroutine.yield("band"); return plain(a, b) end
mt.__bor = function(a, b) return coroutine.yield("bor") end
local co = coroutine.wrap(function()
  local r = V(1) & V(2)
  local s = V(1) | V(2)
  return r.x, s
end)
print(co()); print(co()); print(co("from resume"))
-- runtime error position and traceback inside the metamethod
mt.__shl = function(a, b) return a.y + 1 end
print(pcall(function() return V(1) << V(2) end))
mt.__unm = function(a) return debug.getinfo(1, "n").name end
print(-V(1))
print(select(2, pcall(function() return V(1) << 1 end)))
