-- Float remainders (`%` and math.fmod) must match C's exact fmod bit for
-- bit: special values, subnormals, huge exponent ratios, and a fixed
-- pseudo-random sample of operands near and far apart.
local function show(v) return string.format("%.17g", v) end
local specials = {0.0, -0.0, 1 / 0, -1 / 0, 0 / 0, 2.2250738585072014e-308, 5e-324, -5e-324,
  1e-310, 1.7976931348623157e308, -1.7976931348623157e308, 1.0, -1.0, 0.5, 3.0, -7.25,
  2147483647.0, 9007199254740993.0, 1e300, -1e-300, 1000000007.0}
local lines = {}
for _, x in ipairs(specials) do
  local row = {}
  for _, y in ipairs(specials) do
    local f = math.fmod(x, y)
    row[#row + 1] = show(x % y) .. "/" .. (f ~= f and "nan" or show(f))
  end
  lines[#lines + 1] = table.concat(row, " ")
end
print(table.concat(lines, "\n"))
-- Park-Miller steps in floats and a checksum, as the sort benchmark.
local seed, cks = 42.0, 0.0
for i = 1, 2000 do
  seed = (seed * 16807.0) % 2147483647.0
  cks = (cks + seed * (i % 7)) % 1000000007.0
end
print(show(seed), show(cks))
-- Operands built from an integer sequence: all sizes and signs.
local s = 12345
local function rnd(n) s = (s * 1103515245 + 12345) % 2147483648 return s % n end
local acc = {}
for i = 1, 300 do
  local x = (rnd(2000001) - 1000000) * 2.0 ^ (rnd(2100) - 1075)
  local y = (rnd(2000001) - 1000000 + 0.5) * 2.0 ^ (rnd(2100) - 1075)
  local f = math.fmod(x, y)
  acc[#acc + 1] = show(x % y) .. " " .. (f ~= f and "nan" or show(f))
end
print(table.concat(acc, "\n"))

-- math.fmod and % on the same special operands
local vals = {0.0, -0.0, 1.5, -1.5, 3.0, -7.25, 1e308, -1e308, 5e-324, -5e-324, math.huge, -math.huge, 0/0, -(0/0), 2^53, 1/3, 123456789.125}
for _, a in ipairs(vals) do
  local line = {}
  for _, b in ipairs(vals) do
    line[#line+1] = string.format("%.17g|%.17g", math.fmod(a, b), a % b)
  end
  print(table.concat(line, " "))
end
