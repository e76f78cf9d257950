-- math functions, including the LUA_COMPAT_MATHLIB ones of Debian's lua5.4
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = string.format("%s:%s", t[i], math.type(t[i]) or type(t[i])) end
  print(table.concat(t, " "))
end
show(math.deg(math.pi), math.deg(math.pi / 2), math.deg(1), math.deg(0), math.deg(-1))
show(math.rad(180), math.rad(90), math.rad(1), math.rad(0), math.rad(-360))
show(math.deg(3), math.rad(3), math.deg(math.huge), math.rad(-math.huge))
show(math.deg("90"), math.rad("1e2"))
show(math.atan2(1, 1), math.atan2(1), math.atan2(-1, -1), math.atan2(0, -1))
show(math.atan(1, 1) == math.atan2(1, 1), math.deg(math.rad(57)) == 57)
show(math.deg(math.atan(1, 0)), math.rad(math.deg(0.5)))
for _, f in ipairs{
  function () return math.deg() end,
  function () return math.rad({}) end,
  function () return math.deg("x") end,
  function () return math.atan2() end,
} do
  print(pcall(f))
end
-- min and max compare any values with '<'
show(math.max(3), math.min(3.5), math.max(1, 2.5, -1), math.min(1, 2.5, -1))
show(math.max(1, 1.0), math.max(1.0, 1), math.min(0.0, -0.0), math.min(-0.0, 0.0))
show(math.max("a", "c", "b"), math.min("b", "a", "c"), math.max(0/0, 1), math.max(1, 0/0))
local mt = {__lt = function (a, b) return a.v < b.v end}
local a, b = setmetatable({v = 1}, mt), setmetatable({v = 2}, mt)
print(math.max(a, b) == b, math.min(a, b) == a, math.max(b) == b)
for _, f in ipairs{
  function () return math.max() end,
  function () return math.min() end,
  function () return math.max(1, "x") end,
  function () return math.min(1, nil) end,
  function () return math.max({}, {}) end,
} do
  print(pcall(f))
end
