-- Traversal order of non-string keys and the border '#' picks: both follow
-- PUC-Rio's table layout, so programs printing them match lua5.4.
local function keys(t)
  local o = {}
  for k in pairs(t) do o[#o + 1] = tostring(k) end
  return table.concat(o, " ")
end
local function show(name, t) print(name, keys(t), #t) end

-- integer keys in various orders
local t = {} for i = 10, 1, -1 do t[i] = i end show("desc", t)
t = {} for i = 1, 20 do t[i * i] = i end show("squares", t)
t = {} for i = 1, 50 do t[(i * 37) % 101] = i end show("scatter", t)
t = {} for i = -10, 10 do t[i] = i end show("neg", t)
t = {} for i = 1, 30 do t[i * 2] = i end show("evens", t)
t = {} for i = 1, 10 do t[2 ^ i] = i end show("pow2float", t)
t = {} for i = 1, 12 do t[i + 0.5] = i end show("halves", t)
t = {} for i = 1, 12 do t[-i / 3] = i end show("thirds", t)
t = {[1e100] = 1, [-1e100] = 2, [math.huge] = 3, [-math.huge] = 4, [0.1] = 5, [5e-324] = 6}
show("extreme floats", t)
t = {[math.maxinteger] = 1, [math.mininteger] = 2, [0] = 3, [-1] = 4, [2^31] = 5, [2^32 + 1] = 6}
show("extreme ints", t)
t = {[true] = 1, [false] = 2, [1] = 3, [2] = 4, [3.5] = 5} show("bools", t)
t = {} t[false] = 1 t[true] = 2 t[0] = 0 show("bools2", t)

-- border with holes
t = {} t[1] = 1 t[2] = 2 t[4] = 4 show("hole4", t)
t = {1, 2, nil, 4} show("ctor hole", t)
t = {nil, nil, 3} show("ctor nils", t)
t = {} for i = 1, 10 do t[i] = i end for i = 1, 10, 2 do t[i] = nil end show("odd removed", t)
t = {} for i = 1, 8 do t[i] = i end t[4] = nil t[9] = 9 show("8 minus 4 plus 9", t)
t = {} for i = 1, 16 do t[i] = i end t[16] = nil print("#16-1", #t) t[15] = nil print(#t) t[8] = nil print(#t)
t[16] = 1 print(#t) t[12] = nil print(#t)
t = {} for i = 1, 100 do t[i] = i end for i = 100, 1, -1 do t[i] = nil if i % 7 == 0 then io.write(#t, " ") end end print()
t = {} for i = 1, 100 do t[i] = i end for i = 1, 100 do t[i] = nil if i % 7 == 0 then io.write(#t, " ") end end print()
t = {1, 2, 3, 4, 5, 6, 7} t[7] = nil t[6] = nil print("shrink", #t) t[6] = 6 print(#t) t[8] = 8 print(#t)
t = {} t[1] = 1 t[3] = 3 t[5] = 5 t[7] = 7 t[9] = 9 show("odds", t)
t = {n = 1} for i = 1, 20 do t[i] = i end t[11] = nil show("ints after string", t)
t = table.pack(1, nil, 3) print("pack", #t, t.n)
t = {table.unpack({1, 2, nil, 4})} print("unpack", #t)

-- next after removing during traversal
t = {} for i = 1, 20 do t[i * 3] = i end
for k in pairs(t) do t[k] = nil end print("cleared", next(t), #t)
t = {} for i = 1, 10 do t[i] = i; t[i + 0.5] = i end
for k, v in pairs(t) do if v % 2 == 0 then t[k] = nil end end show("halved", t)

-- rehash growth and shrink
t = {} for i = 1, 64 do t[i] = i end for i = 1, 60 do t[i] = nil end
t[1000] = 1 t[1001] = 2 t[1002] = 3 show("after shrink", t)
t = {} for i = 1, 5 do t[i] = i end for i = 1, 5 do t[i] = nil end for i = 100, 110 do t[i] = i end show("moved", t)
t = {} for i = 1, 40 do t[i % 13 + i * 0.25] = i end show("mixed", t)
local ok, e = pcall(next, {10, 20}, 1.0) print("next float", ok, e)
ok, e = pcall(next, {}, "x") print("next missing", ok, e)
t = setmetatable({}, {__index = function(_, k) return k end}) t[1] = 1 t[3] = 3 show("meta", t)
-- table library on holes
t = {1, 2, 3} t[5] = 5 table.insert(t, 9) show("insert", t)
t = {1, 2, 3, nil, 5} table.remove(t) show("remove", t)
t = {} t[1] = 1 t[2] = 2 t[3] = 3 t[5] = 5 print("ipairs") for i, v in ipairs(t) do io.write(i, " ") end print(#t)
t = table.move({1, 2, 3, 4, 5}, 1, 5, 3) show("move", t)

-- weak tables after a collection
t = setmetatable({}, {__mode = "v"})
local keep = {}
for i = 1, 10 do t[i] = (i % 3 == 0) and keep or {} end
t[2.5] = keep t[true] = {}
collectgarbage() collectgarbage()
show("weak values", t)
t = setmetatable({}, {__mode = "k"})
for i = 1, 5 do t[{}] = i end t[1] = 1 t[2] = 2 t[keep] = 3
collectgarbage() collectgarbage()
local n = 0 for _ in pairs(t) do n = n + 1 end print("weak keys", n, #t)

-- debug.getinfo's activelines is filled in code order
local function lines(a, b)
  local x = a + b
  if x > 10 then
    x = x * 2
  end
  for i = 1, 3 do x = x + i end
  return x
end
local function vlines(...)
  local t = {...}

  return #t
end
for _, fn in ipairs{lines, vlines} do
  local o = {}
  for k in pairs(debug.getinfo(fn, "L").activelines) do o[#o + 1] = k end
  print("activelines", table.concat(o, " "))
end
