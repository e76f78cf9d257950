local big = 9007199254740993
print(big, math.maxinteger, math.mininteger, -0.0, 1e300 * 10, 3.5, 2^53, 7 // 2, 7.0 // 2, 7 % -3, 1/0 < math.huge)
local long = "this is a long string constant that is longer than forty characters, surely"
print(#long, long:sub(1, 10), "short")
print(0x7fffffff + 1, 100000000000 * 3, 5 & 3, 5 | 8, 5 ~ 1, ~0, 1 << 62, 256 >> 4, 3 << -1, -8 >> 1)
local x = 10
print(x + 1, x - 1, 1 + x, 2 * x, x * 2.5, 2.5 * x, x / 4, x % 3, x ^ 2, x // 3, 1 - x, x & 6, 6 & x, x | 1, 1 | x, x ~ 3, 3 ~ x, 1 << x, x << 1, x >> 1, x - 1.5, 1.5 - x)
print(x == 10, x ~= 10.0, x < 11, x <= 10, x > 9, x >= 11, 10.5 > x, x == 10.0, "a" < "b", nil == false)
local s = "10"
print(s + 1, 1 + s, s * "2", -s, s .. 1, 1 .. 2)
