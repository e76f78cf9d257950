-- Chunks nested too deeply: PUC-Rio counts syntax levels as C calls, and
-- its "C stack overflow" is a runtime error (message handlers see it).
local function H(m) return "H(" .. tostring(m) .. ")" end
local function show(ok, f, m) print(ok, type(f), m) end
local function try(src)
  show(pcall(load, src))
  show(xpcall(load, H, src))
end
try(string.rep("(", 300) .. "1" .. string.rep(")", 300))
try("return " .. string.rep("{", 300) .. string.rep("}", 300))
try(string.rep("do ", 300) .. string.rep("end ", 300))
try("return " .. string.rep("f(", 300) .. string.rep(")", 300))
try(string.rep("if true then ", 300) .. string.rep("end ", 300))
try("return " .. string.rep("function() return ", 300) .. string.rep("end ", 300))
try("x = " .. string.rep("2 ^ ", 300) .. "1")
try("x = " .. string.rep("'a' .. ", 300) .. "'b'")
try("x = " .. string.rep("1 + ", 300) .. "1")
try("local x = " .. string.rep("-", 300) .. "1")
try("return " .. string.rep("a.", 300) .. "b")
print(load(string.rep("do ", 150) .. string.rep("end ", 150)) ~= nil)
