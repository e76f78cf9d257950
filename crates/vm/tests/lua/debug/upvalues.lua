-- debug.upvalueid and friends (ids are compared, never printed)
local a, b = 1, 2
local function foo1() return a + b end
local function foo2() return b + a end
print(debug.upvalueid(foo1, 1) == debug.upvalueid(foo2, 2),
      debug.upvalueid(foo1, 2) == debug.upvalueid(foo2, 1),
      debug.upvalueid(foo1, 1) ~= debug.upvalueid(foo1, 2))
print(debug.upvalueid(foo1, 3), debug.upvalueid(foo1, 0), debug.upvalueid(foo1, -1))
print(debug.upvalueid(print, 1), debug.upvalueid(string.gmatch("x", "x"), 10))
print(debug.upvalueid(string.gmatch("x", "x"), 1) ~= nil)
print(pcall(function () return debug.upvalueid(foo1) end))
print(pcall(function () return debug.upvalueid({}, 1) end))
print(debug.getupvalue(foo1, 1), debug.getupvalue(foo1, 3))
print(debug.setupvalue(foo1, 2, 20), foo1())
-- integer arguments are C ints in PUC-Rio: a huge level wraps to 0 (the
-- function being called), a huge index to a small one
print(pcall(debug.getlocal, -2^63, 2))
print((debug.getupvalue(function() return print end, 2^32 + 1)))
print(math.atan2 == math.atan)
