-- string.format
local function E(f) local ok, m = pcall(f) print("E", ok, m) end
local F = string.format

print(F("%d %i %u", 42, -7, 3), F("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42))
print(F("%x %X %o %#x %#X %#o", 255, 255, 8, 255, 255, 8), F("%x", -1), F("%.3d|%.0d|%8.3x", 5, 0, 10))
print(F("%d", 3.0), F("%d", "10"), F("%x", "0x10"), F("%d", -0x8000000000000000), F("%5.1s|", "abc"))
print(F("%c%c%c", 76, 117, 97), F("%5c|%-5c|", 65, 66), F("%c", 0) == "\0")
print(F("%f %e %g", 3.14159, 3.14159, 3.14159), F("%.2f %.0f %#.0f", 2.675, 2.5, 3))
print(F("%10.3f|%-10.2e|%+.1g", 1 / 3, 12345.678, 0.0001234))
print(F("%g %g %g %g %g", 1e20, 1e-5, 100000, 1e15, 0.1), F("%G %E", 1e-10, 1e10))
print(F("%.14g", 2 ^ 53), F("%.3g", 2 / 3), F("%#g", 1.0), F("%g", 1 / 0), F("%g", -1 / 0), F("%f", 1 / 0))
print(F("%5.1f|%-8.3f|%08.3f|%+08.2f", 3.14159, 2.5, -1.5, 1.5))
print(F("%a %A", 1.0, 0.5), F("%.3a", 1 / 3), F("%a", 0.0), F("%a", -2.5))
print(F("%.99f", 1 / 3):len(), #F("%99.99f", -1e308), F("%.0f", 1e300) == F("%.0f", 1e300))
print(F("%s %s %s %s", "str", 42, 1.5, nil), F("%s|%s", true, false), F("%10s|%-10s|", "hi", "hi"))
print(F("%.3s|%.0s|%5.2s|", "abcdef", "abc", "xyz"), F("%s", setmetatable({}, {__tostring = function() return "OBJ" end})))
print(F("%s", setmetatable({}, {__tostring = function() return 42 end})), F("%s", "a\0b") == "a\0b")
print(F("%s", string.rep("x", 200)):len(), F("%-5s", string.rep("y", 150)):len())
print(F("%q", "hello\n\"world\"\\\0\1\0012\r\t\127\200"))
print(F("%q", 42), F("%q", -7), F("%q", 1.5), F("%q", 1 / 0), F("%q", -1 / 0), F("%q", 0 / 0 ~= 0 / 0))
print(F("%q", -0x8000000000000000), F("%q", 0x7fffffffffffffff), F("%q", 2 ^ 63), F("%q", 0.1), F("%q", nil), F("%q", true))
print(load("return " .. F("%q", "a\0b\n\r\2342\255"))() == "a\0b\n\r\2342\255", load("return " .. F("%q", 0.1))() == 0.1)
print(F("%%"), F("100%%"), F("%% %d %%", 5), F("no args"), F(""), F("%s%%%s", "a", "b"))
print(F("%p", 1), F("%p", nil), F("%p", true), F("%10p|%-10p|", nil, false))
local t = {}
print(F("%p", t) == F("%p", t), F("%p", t) ~= F("%p", {}), F("%p", print) == F("%p", print), #F("%40p", t), #F("%-40p", t))
print(F("%p", "short") == F("%p", "sho" .. "rt"), F("%p", t):sub(1, 2))
print(F("%5s|%-5s|%5d|%-5d|", 1, 2, 3, 4))
