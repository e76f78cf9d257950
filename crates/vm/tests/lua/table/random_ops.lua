-- Random sequences of stores, removals and '#' on integer, float and boolean
-- keys: the layout (pairs order, borders) must follow PUC-Rio's step by step.
local seed = 1
local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n end
local function keys(t)
  local o = {}
  for k in pairs(t) do o[#o + 1] = tostring(k) end
  return table.concat(o, " ")
end
for round = 1, 40 do
  local t
  local c = rnd(4)
  if c == 0 then t = {} elseif c == 1 then t = {1, 2, 3} elseif c == 2 then t = {[1]=1, [2]=2, [5]=5}
  else t = {} for i = 1, rnd(40) do t[i] = i end end
  local range = ({4, 16, 64, 300})[rnd(4) + 1]
  for step = 1, rnd(120) do
    local op = rnd(10)
    local k
    local kk = rnd(6)
    if kk == 0 then k = rnd(range) - 3 elseif kk == 1 then k = rnd(range) + 0.5
    elseif kk == 2 then k = rnd(2) == 0 elseif kk == 3 then k = (rnd(range) + 1) * 1.0 else k = rnd(range) + 1 end
    if op < 6 then t[k] = step
    elseif op < 9 then t[k] = nil
    else io.write("#", #t, " ") end
    if rnd(7) == 0 then io.write(#t, " ") end
    if rnd(15) == 0 then local n = 0 for _ in pairs(t) do n = n + 1 end io.write("n", n, " ") end
    if rnd(25) == 0 then local x = t[rnd(range)] end
  end
  print()
  print(round, #t, keys(t))
  -- removal during traversal
  for k in pairs(t) do if rnd(2) == 0 then t[k] = nil end end
  print(round, #t, keys(t))
end
