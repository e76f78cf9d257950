-- Every kind of value as a key and as a value of the hash part, read
-- back, replaced, removed and traversed (table nodes store values packed).
local co = coroutine.create(function() end)
local up = 0
local f = function() return up end
local u = io.stdout
local light = debug.upvalueid(f, 1)
local kinds = {
  {"boolean", true}, {"false", false}, {"integer", -7}, {"float", 2.5},
  {"short string", "k"}, {"long string", string.rep("x", 50)},
  {"table", {}}, {"lua function", f}, {"native function", print},
  {"thread", co}, {"userdata", u}, {"max integer", math.maxinteger},
  {"tiny float", 5e-324}, {"inf", math.huge}, {"light userdata", light},
}
local t = {}
for i, kv in ipairs(kinds) do
  t[kv[2]] = kv[1]
  t[kv[1]] = kv[2]
end
local ok = 0
for i, kv in ipairs(kinds) do
  assert(t[kv[2]] == kv[1], kv[1])
  assert(rawequal(t[kv[1]], kv[2]), kv[1])
  ok = ok + 1
end
print("read back", ok)
local n = 0
for k, v in pairs(t) do
  assert(rawequal(t[k], v))
  n = n + 1
end
print("pairs", n)
for i, kv in ipairs(kinds) do
  t[kv[2]] = nil
end
n = 0
for k, v in pairs(t) do n = n + 1 end
print("after removal", n)
for i, kv in ipairs(kinds) do
  t[kv[1]] = i
end
local sum = 0
for k, v in pairs(t) do sum = sum + v end
print("replaced", sum)
print(type(light))
