-- Number formatting and arithmetic corner cases, compared byte for byte
-- with lua5.4 (regen.sh).
local vals = {0, -0.0, 1, -1, 0.1, 1/3, 1e15, 1e16, 1e100, 2^53, 2^63, -2^63, math.maxinteger, math.mininteger,
  1/0, -1/0, 0/0, 123.456, 1e-5, 1e-300, 5e-324, 3.14159265358979, 100, 1e300*10, -(0/0)}
for _, v in ipairs(vals) do
  print(v, tostring(v), math.type(v))
  for _, f in ipairs{"%g", "%.3g", "%10.2f", "%-10.3e", "%a", "%.0f", "%5.1g", "%+g", "% g", "%#g", "%#x_skip", "%.14g", "%.17g", "%e", "%A", "%.3a", "%f"} do
    if not f:find("skip") then
      local ok, s = pcall(string.format, f, v)
      print(f, ok, s)
    end
  end
end
for _, v in ipairs{0, 1, -1, 255, math.maxinteger, math.mininteger, 3.0, -7.0} do
  for _, f in ipairs{"%d", "%5d", "%-5d|", "%05d", "%x", "%X", "%#x", "%o", "%#o", "%c", "%i", "%u", "%+d", "% d", "%.3d"} do
    local ok, s = pcall(string.format, f, v)
    print(f, v, ok, s)
  end
end
print(pcall(string.format, "%d", 1.5))
print(pcall(string.format, "%d", "1.0"))
print(pcall(string.format, "%d", "x"))
print(pcall(string.format, "%x", -1))
print(string.format("%q", 1/0), string.format("%q", -1/0), string.format("%q", 0/0))
print(string.format("%q", math.mininteger), string.format("%q", 1.5), string.format("%q", 2^63))
print(string.format("%q", "a\0b\n\r\t\"\\\1\0011\200"), string.format("%q", 42), string.format("%q", true), string.format("%q", nil))
print(pcall(string.format, "%q", {}))
print(pcall(string.format, "%q", print))
print(string.format("%s %s %s", nil, true, 12.0))
print(string.format("%10s|%-10s|%.2s", "abc", "de", "xyz"))
print(pcall(string.format, "%10.3q", "x"))
print(pcall(string.format, "%", 1))
print(pcall(string.format, "%y", 1))
print(pcall(string.format, "%d"))
print(pcall(string.format, "%123d", 1))
print(pcall(string.format, "%.123d", 1))
print(pcall(string.format, "%5%"))
print(pcall(string.format, "%s", setmetatable({}, {__tostring = function() return 42 end})))
print(string.format("%s", setmetatable({}, {__tostring = function() return "TS" end})))
print(string.format("%s", setmetatable({}, {__name = "MyType"})):match("^MyType: ") ~= nil)
print(string.format("%.3s", setmetatable({}, {__tostring = function() return "abcdef" end})))
print(string.format("%c%c%c", 65, 0, 66) == "A\0B")
print(#string.format("%099d", 7), string.format("%.99f", 1):sub(1, 10))
print(string.format("%-+8.3f|", 3.14159))
print(1e15, 1e16, -1e15, 123456789012345678)
print(2^24, 2.0^53, 2^-1074, 0.1 + 0.2, 100 // 3.0, 7 // 0.0, -7 // 0.0, 0/0 == 0/0)
print(3 % -2, -3 % 2, 3.0 % -2, -3 % 2.0, 5.5 % -0.0, math.fmod(-6, 4), math.fmod(6, -4), math.fmod(-6.0, 4))
print(pcall(function() return 1 // 0 end))
print(pcall(function() return 1 % 0 end))
print(pcall(math.fmod, 1, 0))
print(math.fmod(1, 0.0), math.fmod(1.0, 0))
print(math.tointeger(3.0), math.tointeger(3.5), math.tointeger("8"), math.tointeger(2^63))
print(1e308 * 10, -1e308 * 10, math.huge // 1, -math.huge % 2)
print(math.maxinteger + 1 == math.mininteger, math.maxinteger * 2, math.mininteger // -1, math.mininteger % -1)
print(7 // -2, -7 // 2, 7.5 // 2, -7.5 // 2, 7 % -3, -7 % 3, 7.5 % 2, -7.5 % 2)
print(string.format("%.1f", 0.05), string.format("%.0f", 0.5), string.format("%.0f", 1.5), string.format("%.0f", 2.5))
print(tostring(-0.0), -0.0 == 0.0, 1/-0.0, math.abs(-0.0))
print(math.floor(-0.0), math.ceil(-0.5), math.floor(2^62), math.floor(1e100))
print(string.format("%g", 2^63), 2^63 == math.maxinteger + 1.0, math.maxinteger + 0.0)
print(8 | 1, 7 & 2, 5 ~ 3, ~0, 1 << 63, 1 << 64, -1 >> 1, 2^53 | 0)
print(pcall(function() return 1.5 | 0 end))
print(pcall(function() return {} | 0 end))
print(pcall(function() return 2^64 | 0 end))
-- Hex numerals down to the smallest subnormal and up to overflow.
print(tonumber("0x1p-1074"), 0x1p-1074, tonumber("0x1p-1075"), tonumber("0x1.8p-1074"), tonumber("0x3p-1076"), 0x1p-1022, 0x1p-1023)
print(tonumber("0x1p1023"), tonumber("0x1p1024"), tonumber("0x.8p1025"), tonumber("0x1.fffffffffffff8p1023"), 0x123456789abcdef0123p0)
