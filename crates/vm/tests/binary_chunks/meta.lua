local V = {}
V.__index = V
local function new(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b)
  if type(a) == "number" then return new(a + b.x, a + b.y) end
  if type(b) == "number" then return new(a.x + b, a.y + b) end
  return new(a.x + b.x, a.y + b.y)
end
V.__sub = function(a, b) return "sub(" .. tostring(type(a) == "table" and "v" or a) .. "," .. tostring(type(b) == "table" and "v" or b) .. ")" end
V.__mul = function(a, b) return "mul(" .. (type(a) == "table" and "v" or a) .. "," .. (type(b) == "table" and "v" or b) .. ")" end
V.__band = function(a, b) return "band(" .. (type(a) == "table" and "v" or a) .. "," .. (type(b) == "table" and "v" or b) .. ")" end
V.__shl = function(a, b) return "shl(" .. (type(a) == "table" and "v" or a) .. "," .. (type(b) == "table" and "v" or b) .. ")" end
V.__shr = function(a, b) return "shr(" .. (type(a) == "table" and "v" or a) .. "," .. (type(b) == "table" and "v" or b) .. ")" end
V.__div = function(a, b) return "div" end
V.__unm = function(a) return "unm" end
V.__len = function(a) return 42 end
V.__concat = function(a, b) return "cat" end
V.__eq = function(a, b) return true end
V.__lt = function(a, b) return true end
V.__le = function(a, b) return false end
V.__call = function(self, a) return "called " .. a end
V.__tostring = function(v) return "V(" .. v.x .. "," .. v.y .. ")" end
function V:len2() return self.x * self.x + self.y * self.y end
local a, b = new(1, 2), new(3, 4)
print(tostring(a + b), tostring(a + 1), tostring(1 + a), tostring(2.5 + a))
print(a - b, a - 1, 1 - a, a - 1.5, 1.5 - a)
print(a * 2, 2 * a, a * 2.5, 2.5 * a, a * b)
print(a & 1, 1 & a, a << 2, 2 << a, a >> 3, 3 >> a, a << b)
print(a / 2, -a, #a, a .. "x", "x" .. a, a == b, a < b, a <= b, a > b, a(5))
print(a:len2(), b:len2())
local ok, err = pcall(function() local z = nil; return z + 1 end)
print(ok, err)
ok, err = pcall(function() return {} < 1 end)
print(ok, err)
