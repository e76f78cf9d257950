-- Matcher shortcuts (first-item skipping, required bytes after a
-- repetition, plain find) must not change results or errors.
local subj = {"hello world 123 abc", "((a)(b))", "", "aaa", "x=1, y=22; z=333", "  trim  ", "THE (quick) fox", "a.b.c", "[]]", "^^a^"}
local pats = {"%a+", "(%a+)", "()a", "(()a)", "o", "l+", "%d+", "[%a_]+", "[^%s]+", "%f[%w]%w+", "%bxy", "%b()", "(a)%1", "a-b", "a*", "a?", ".", "", "^a", "^^", "%^", "]", "[]]", "[^]]", "$", "a$", "(h)(e)", "x?=", "%s*$", "[a-c]+", "[%]]", "(%a)%a*%1"}
for _, s in ipairs(subj) do for _, p in ipairs(pats) do
  local r = {}
  local ok, e = pcall(function()
    r[#r+1] = table.concat({tostring(string.find(s, p))}, ",")
    r[#r+1] = table.concat({tostring(string.find(s, p, 3))}, ",")
    r[#r+1] = tostring(string.match(s, p))
    for a, b in string.gmatch(s, p) do r[#r+1] = tostring(a) .. "/" .. tostring(b) end
    r[#r+1] = table.concat({string.gsub(s, p, "<%0>")}, ",")
  end)
  print(s, p, ok, ok and table.concat(r, " ") or e)
end end
local cases2 = {
  {"aaa b", "a+)b"}, {"aaa b", "(a+) b"}, {"aaa b", "(a+)) b"}, {"aaab", "a+()b"}, {"aaab", "(a+()(b))"},
  {"aaab", "a*b"}, {"aaab", "a+b*"}, {"aaab", "a+b?"}, {"aaab", "a+$"}, {"aaa", "a+$"}, {"a.b", "%a+%.%a"},
  {"xxaay", "a+y"}, {"xxaay", "(a+)(y)"}, {"aa^", "a+^"}, {"ab]", "%a+]"}, {"aaa b", "a+((((( b)))))"},
  {"aaa b", "a+(" .. string.rep("(", 40) .. " b"}, {"aaa b", "(a+)" .. string.rep("%)", 1) .. " b"},
  {string.rep("a", 300) .. "b", string.rep("a?", 250) .. "a+b"},
  {"hello world", "(%w+) (%w+)"}, {"k=v, k2=v2", "(%w+)=(%w+)"}, {"aaa", "(a+)-"}, {"aab", "a+-b"},
}
for _, c in ipairs(cases2) do
  print(c[2]:sub(1, 30), pcall(string.find, c[1], c[2]))
  print(pcall(string.gsub, c[1], c[2], "<%0>"))
end
local caps = string.rep("(", 31) .. "a+" .. string.rep(")", 31)
print(pcall(string.find, "aaa b", string.rep("()", 30) .. "a+(( b))"))
print(pcall(string.find, "aaa b", "(" .. caps .. ")"))
-- plain find around 8-byte chunk boundaries
local hay = string.rep("abcdefgh", 5) .. "needle" .. string.rep("x", 9)
for init = 1, #hay + 2 do
  io.write(tostring(string.find(hay, "needle", init, true)), " ")
  io.write(tostring(string.find(hay, "x", init, true)), " ")
end
print()
print(string.find(hay, "", 50, true), string.find(hay, "xxxxxxxxxx", 1, true))
print(string.find("\0a\0b", "\0b", 1, true), string.find("aaa", "aaaa", 1, true))
-- %d without precision, and the other integer conversions
for _, f in ipairs{"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%.0d", "%i", "%x", "%#o"} do
  for _, v in ipairs{0, 1, -1, 42, -42, math.maxinteger, math.mininteger} do
    io.write(string.format(f, v), " ")
  end
  print()
end
