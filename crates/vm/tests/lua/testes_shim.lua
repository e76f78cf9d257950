-- Minimal Lua stand-ins for the parts of `math`, `table` and `io` that the
-- official string/pattern/pack/utf8 test files use, for running them before
-- those libraries exist:  lunarena -e "$(cat testes_shim.lua)" strings.lua
math = math or {}
math.maxinteger = math.maxinteger or 0x7fffffffffffffff
math.mininteger = math.mininteger or -0x7fffffffffffffff - 1
math.huge = math.huge or 1/0
math.pi = math.pi or 3.141592653589793
math.type = math.type or function (x)
  if type(x) ~= "number" then return nil end
  return string.find(tostring(x), "^-?%d+$") and "integer" or "float"
end
math.tointeger = math.tointeger or function (x)
  if math.type(x) == "integer" then return x end
  if math.type(x) == "float" and x == x and x > -2^63 and x < 2^63 and x == x // 1 then
    return x | 0
  end
  return nil
end
table = table or {}
table.unpack = table.unpack or function (t, i, j)
  i = i or 1; j = j or #t
  if i > j then return end
  return t[i], table.unpack(t, i + 1, j)
end
table.pack = table.pack or function (...) return {n = select("#", ...), ...} end
table.insert = table.insert or function (t, pos, v)
  if v == nil then t[#t + 1] = pos; return end
  for k = #t, pos, -1 do t[k + 1] = t[k] end
  t[pos] = v
end
table.remove = table.remove or function (t, pos)
  local n = #t; pos = pos or n
  local v = t[pos]
  for k = pos, n - 1 do t[k] = t[k + 1] end
  if pos <= n then t[n] = nil end
  return v
end
table.concat = table.concat or function (t, sep, i, j)
  if type(t) ~= "table" then error("bad argument #1 to 'concat' (table expected)") end
  sep = sep or ""; i = i or 1; j = j or #t
  local parts = {}
  for k = i, j do
    local v = t[k]
    if type(v) ~= "string" and type(v) ~= "number" then
      error("invalid value (at index " .. k .. ") in table for 'concat'")
    end
    parts[#parts + 1] = v
  end
  local s = ""
  for k = 1, #parts do s = s .. (k > 1 and sep or "") .. parts[k] end
  return s
end
io = io or {stdin = {}, write = function (...) end}
require = require or function (name) return _G[name] end
