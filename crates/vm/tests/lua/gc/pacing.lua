-- Garbage made by a few instructions that allocate a lot (big strings)
-- is collected as the program runs, not only when its fuel runs out.
local peak = 0
local s
for i = 1, 400 do
  s = string.rep("x", i * 1000)
  peak = math.max(peak, collectgarbage("count"))
end
print("big strings", #s, peak < 16 * 1024)

-- Many small objects.
peak = 0
local live = {}
for i = 1, 200000 do
  live[i % 100 + 1] = {i}
  if i % 1000 == 0 then peak = math.max(peak, collectgarbage("count")) end
end
print("small tables", peak < 32 * 1024)
