local log = {}
local function closer(name)
  return setmetatable({}, {__close = function(_, err) log[#log + 1] = name .. ":" .. tostring(err) end})
end
do
  local a <close> = closer("a")
  local b <close> = closer("b")
  local c <const> = 5
  log[#log + 1] = "body" .. c
end
local ok, e = pcall(function()
  local x <close> = closer("x")
  error("boom", 0)
end)
print(ok, e)
for _, v in pairs({1}) do local y <close> = closer("loop") end
local function gen()
  local z <close> = closer("ret")
  return "r"
end
print(gen())
print(table.concat(log, " "))
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
print(co(1), co(10))
