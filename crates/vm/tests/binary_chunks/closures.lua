local function counter(start)
  local n = start
  return function(step) n = n + (step or 1); return n end, function() return n end
end
local inc, get = counter(10)
inc(); inc(5)
print(get(), inc(-2))
local fs = {}
for i = 1, 5 do fs[i] = function() return i * i end end
local s = {}
for i = 1, 5 do s[#s + 1] = fs[i]() end
print(table.concat(s, ","))
local function va(...)
  local n = select('#', ...)
  local t = {...}
  return n, #t, ...
end
print(va(1, nil, 3))
print(va())
print((va(7, 8)))
local function tail(n, acc) if n == 0 then return acc end return tail(n - 1, acc + n) end
print(tail(10000, 0))
