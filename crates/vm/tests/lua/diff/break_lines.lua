-- `if cond then break end` compiles to the test alone: no instruction on the
-- `break` line (line hooks and coverage tools count lines as lua5.4 does).
local lines = {}
debug.sethook(function(_, l) lines[#lines + 1] = l end, "l")
for i = 1, 3 do
  if i == 2 then
    break
  end
end
local n = 0
while true do
  n = n + 1
  if n > 3 then break; ; end
end
for i = 1, 5 do
  if i == 1 then break else n = n + 10 end
end
for i = 1, 5 do
  if i == 3 then break elseif i == 1 then n = n + 100 else n = n + 1000 end
end
for i = 1, 3 do
  local x = i
  local f = function() return x end
  if x == 2 then break end
end
repeat
  if n then break end
  n = n + 1
until false
for i = 1, 3 do if false then break end if nil then break end end
for i = 1, 3 do if true then break end end
for i = 1, 3 do if i == 1 and n > 0 then break end end
debug.sethook()
print(table.concat(lines, " "))
print(n)
