local t = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60,
 a = 1, b = 2, c = 3, ["d e"] = 4, [100] = 5}
print(#t, t[60], t.a, t["d e"], t[100])
local src = {"return {"}
for i = 1, 600 do src[#src + 1] = i .. "," end
src[#src + 1] = "}"
local f = load(table.concat(src))
print(#f())
local function many(...) return {..., n = select("#", ...)} end
local m = many(table.unpack(t, 1, 60))
print(m.n, m[60])
local obj = {name = "o"}
function obj.greet(self, x) return self.name .. x end
function obj:twice(x) return self:greet(x) .. self:greet(x) end
print(obj:twice("!"))
print(select(-1, table.unpack({1, 2, 3})))
print(string.format("%5.2f|%d|%s", 3.14159, 42, "str"), ("x"):rep(3))
