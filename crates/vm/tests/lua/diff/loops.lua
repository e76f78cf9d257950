-- Numeric loops at the integer limits, number keys and comparisons
-- across integer and float, compared byte for byte with lua5.4.
for i = math.maxinteger - 2, math.maxinteger do io.write(i, " ") end print()
for i = math.mininteger, math.mininteger + 2 do io.write(i, " ") end print()
for i = 1, 3 do local j = i; i = 10; io.write(j, " ") end print()
for i = 0.1, 0.5, 0.1 do io.write(i, " ") end print()
for i = 3, 1 do print("never") end
for i = 1, 0.5 do print("never") end
for i = 1.0, 3 do io.write(i, " ") end print()
for i = 1, 3.5 do io.write(i, " ") end print()
local t = {}
t[1.0] = "a"; t[2] = "b"; t[2^53] = "c"; t["1"] = "d"
print(t[1], t[2.0], t[2^53 | 0], t["1"], #t, next({[1.0] = 1}), math.type(next({[1.0] = 1})))
local keys = {}
for k in pairs({10, 20, 30, x = 1}) do keys[#keys + 1] = tostring(k) end
print(table.concat(keys, ","))
print(string.format("%g %g %g", 1e20, 1e-5, 123456789))
print(7 // 0.0, -7 // 0.0, 0/0 ~= 0/0, math.huge - math.huge ~= 0)
print(math.abs(-2^63), math.abs(math.mininteger), -math.mininteger)
print(5 // 2 * 2 + 5 % 2, -5 // 2 * 2 + -5 % 2, 5.0 // -2, 5 % -2.0)
print(("%d"):format(-0), ("%.3f"):format(-0.0), -0.0 == 0, tostring(0.0 * -1))
print(1 == 1.0, math.maxinteger == math.maxinteger + 0.0, 2^53 == 2^53 + 1, math.maxinteger < math.maxinteger + 0.0)
print(math.mininteger <= -2^63, 1 < 1.5, -1 > -1.5, math.maxinteger + 1.0 > math.maxinteger)
print(#"\u{10FFFF}", "\u{7FFFFFFF}" == "\xFD\xBF\xBF\xBF\xBF\xBF", "\x41\66\z
      C")
local s = 0; for _, v in ipairs({1, 2, nil, 4}) do s = s + v end; print(s)
print(select('#', table.unpack({1, nil, 3})), select('#', table.unpack({1, nil, 3}, 1, 3)))
print(string.rep("=", 3), ("x"):rep(2, "ab"))
local a, b, c = (function() return 1, 2, 3 end)(); print(a, b, c)
local d, e = ((function() return 1, 2 end)()); print(d, e)
print((select(2, "a", "b", "c")))
print(type(io.lines), pcall(string.dump, print))
