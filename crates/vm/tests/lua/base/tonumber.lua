-- tonumber, with and without a base
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) .. ':' .. (math.type(t[i]) or type(t[i])) end
  print(table.concat(t, ' '))
end

show(tonumber('  +1Z  ', 36), tonumber('  -1z  ', 36), tonumber('10', 36))
show(tonumber('  001010  ', 2), tonumber('  -1010  ', 2), tonumber('-fFfa', 16))
show(tonumber('+', 10), tonumber('-', 10), tonumber('', 10), tonumber('  ', 10))
show(tonumber('+-1', 10), tonumber('--1', 10), tonumber('1 0', 10), tonumber('12', 2))
show(tonumber('1\0', 10), tonumber('\t\n\v\f\r 7 \t\n\v\f\r', 8), tonumber('7.0', 10))
show(tonumber('ffffffffffffffff', 16), tonumber('10000000000000000', 16))
show(tonumber('zzzzzzzzzzzzzzzz', 36), tonumber('-8000000000000000', 16))
show(tonumber('0x10', 16), tonumber('0x10'), tonumber(' 0x1p4 '), tonumber('1e1'))
show(tonumber('  +10  '), tonumber('+ 10'), tonumber('10', nil), tonumber(nil))
show(tonumber({}), tonumber(true), tonumber('1e'), tonumber('0x'), tonumber('.5'))
show(tonumber('\u{e9}', 36), tonumber('1\u{e9}', 36))

for _, case in ipairs({
  function () return tonumber('10', 1) end,
  function () return tonumber('10', 37) end,
  function () return tonumber(10, 10) end,
  function () return tonumber('10', 'x') end,
  function () return tonumber('10', 2.5) end,
  function () return tonumber() end,
}) do
  print(pcall(case))
end
