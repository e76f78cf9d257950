-- debug.upvaluejoin and debug.upvalueid (light userdata identities)
local a, b = 1, 2
local function fa() return a end
local function fb() return b end
local id = debug.upvalueid(fa, 1)
print(type(id), id == debug.upvalueid(fa, 1), id ~= debug.upvalueid(fb, 1))
local t = {[id] = "key"}
print(t[debug.upvalueid(fa, 1)])
debug.upvaluejoin(fa, 1, fb, 1)
print(fa(), debug.upvalueid(fa, 1) == debug.upvalueid(fb, 1))
b = 20
print(fa(), fb())
print(pcall(function () debug.upvaluejoin(fa, 2, fb, 1) end))
print(pcall(function () debug.upvaluejoin(print, 1, fb, 1) end))
print(pcall(function () debug.upvaluejoin(fa, 1, fb, 0) end))
print(pcall(function () debug.setuservalue(id, {}) end))
print(getmetatable(id))
