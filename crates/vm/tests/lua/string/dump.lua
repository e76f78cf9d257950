-- string.dump and loading binary chunks
local function f(a, b) local c = a + b return c, '\0alo\255', 1.5, 2^63, math.mininteger, nil, true end
local s = string.dump(f)
print(type(s), s:sub(1, 4) == "\27Lua", s == string.dump(f))
print(load(s)(1, 2))
print(load(s, "x", "t"))
print(load(s, "=name", "b")(3, 4))
print(pcall(function () return string.dump(print) end))
print(pcall(function () return string.dump() end))
print(pcall(function () return string.dump({}) end))
-- upvalues: the first is the environment, the others are nil
local up = 10
local function h() up = (up or 0) + 1 return up end
print(h(), pcall(load(string.dump(h))))
print(pcall(load(string.dump(h), "c", "b", 41)))
local function ee() local x = _ENV return x end
print(load(string.dump(ee), "n", "b", {a = 1})().a)
local function two() return up, print end
-- (`two` gets `up` as environment and a nil _ENV)
print((pcall(load(string.dump(two)))))
print(debug.getupvalue(load(string.dump(two)), 2))
-- nested functions and sources
local nested = load("return function (x) return function (y) return x + y end end", "=nested")
local n2 = load(string.dump(nested))
print(n2()(3)(5), debug.getinfo(n2).source, debug.getinfo(n2()).source)
local n3 = load(string.dump(nested, true))
print(n3()(30)(50), debug.getinfo(n3).source, debug.getinfo(n3()).source,
      debug.getinfo(n3()(1)).short_src, debug.getinfo(n3()(1)).linedefined)
local long = load("return function (x) return function (y) return x + y end end", string.rep("x", 1000))
print(#string.dump(long) > 1000, #string.dump(long) < 2000, #string.dump(long, true) < 500)
print(debug.getinfo(load(string.dump(long))()(1)).source == string.rep("x", 1000))
-- debug information
local e = load(string.dump(load("\n\nerror('boom')", "=src")))
print(pcall(e))
local e2 = load(string.dump(load("\n\nerror('boom')", "=src"), true))
print(pcall(e2))
print(debug.getinfo(e2, "S").short_src, debug.getinfo(e2, "l").currentline)
print(debug.getupvalue(load(string.dump(h, true)), 1) == "(no name)")
print(debug.getupvalue(load(string.dump(h)), 1) == "up")
local function locals(a) local b = 2; return debug.getlocal(1, 1), debug.getlocal(1, 2) end
print(load(string.dump(locals))(1))
print(load(string.dump(locals, true))(1))
-- bad chunks
print(load("\27Lua"))
print(load("\27Lu"))
print(load("\27"))
print(load("\27Lua\x53", "=bin"))
print(load("\27Lux\x54", "@file"))
print(load(s:sub(1, 20), "=cut"))
print(load(s, "=mode", "t"))
print(load("return 1", "=mode", "b"))
local parts, i = {}, 0
for k = 1, #s, 7 do parts[#parts + 1] = s:sub(k, k + 6) end
print(load(function () i = i + 1 return parts[i] end)(5, 6))
