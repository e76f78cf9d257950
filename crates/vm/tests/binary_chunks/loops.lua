local t = {}
for i = 10, 1, -3 do t[#t + 1] = i end
print(table.concat(t, " "))
for x = 1.0, 2.0, 0.25 do io.write(x, " ") end print()
local keys = {}
for k, v in pairs({a = 1, b = 2, c = 3}) do keys[#keys + 1] = k .. "=" .. v end
table.sort(keys) print(table.concat(keys, ";"))
for i, v in ipairs({"x", "y", "z"}) do io.write(i, v, " ") end print()
do
  local i = 1
  ::top::
  if i <= 3 then io.write("g", i, " ") i = i + 1 goto top end
  print()
end
for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto continue end
    io.write(i, ":", j, " ")
    ::continue::
  end
end
print()
local n = 0
while true do n = n + 1 if n > 100 then break end end
repeat n = n - 7 until n < 0
print(n)
