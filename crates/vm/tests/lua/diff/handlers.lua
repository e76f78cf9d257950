-- Message handlers: errors inside them, errors of load's reader, and
-- __gc errors (warnings, never handled by an enclosing xpcall).
local n = 0
print(xpcall(error, function(m) n = n + 1; error("again") end, "x"))
print(n > 10)
n = 0
print(xpcall(error, function(m) n = n + 1; if n < 5 then error("again" .. n) end; return "handled " .. tostring(m) end, "x"))
print(n)
print(xpcall(error, function(m) local x = nil; return x.y end, "x"))
print(xpcall(function() local x <close> = setmetatable({}, {__close = function() error("in close") end}); error("body") end, function(m) return "H:" .. tostring(m) end))
local co = coroutine.wrap(function() return xpcall(error, function(m) coroutine.yield("y") return m end, "e") end)
print(pcall(co))

local function H(m) return "H(" .. tostring(m) .. ")" end
print(xpcall(function() return load(function() error("reader boom") end) end, H))
print(xpcall(function() return load(function() error({}, 0) end) end, function(m) return type(m) end))
print(xpcall(function() return load(function() return {} end) end, H))
print(xpcall(function() return pcall(load, function() error("inner") end) end, H))
print(pcall(function() return load(function() return true end) end))
local k = 0
print(xpcall(function() return load(function() k = k + 1; if k == 1 then return "return " end; error("late") end) end, H))
print(xpcall(function() return load(function() error("r") end) end, function(m) error("handler fails") end))

print(xpcall(function()
  setmetatable({}, {__gc = function() error("in gc") end})
  collectgarbage()
  return "after"
end, function(m) print("HANDLER RAN", m) return "H " .. tostring(m) end))
print(xpcall(function()
  setmetatable({}, {__gc = function() error({}) end})
  collectgarbage()
  return "after2"
end, function(m) print("HANDLER RAN", m) return "H" end))
