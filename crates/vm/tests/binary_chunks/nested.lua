local function outer(a)
  local function middle(b)
    local function inner(c)
      return function(d) return a + b + c + d end
    end
    return inner(b * 2)
  end
  return middle(a + 1)
end
print(outer(1)(100))
local t = setmetatable({}, {__index = function(t, k) return k .. "!" end})
print(t.foo, t[1])
print(select(2, pcall(error, {code = 1})).code)
print(select("#", pcall(error)))
local s = 0
for i = 1, 100 do if i % 2 == 0 and i % 3 ~= 0 or i == 99 then s = s + i end end
print(s, not nil, not 0, 1 and 2, nil or "d", false and error("x"))
print(debug.getinfo(1, "S").short_src, debug.getinfo(outer, "S").linedefined)
print(debug.traceback("tb", 1):gsub("\n.*", ""))
local function lines() return debug.getinfo(1, "l").currentline end
print(lines())
print(string.dump ~= nil, type(load))
