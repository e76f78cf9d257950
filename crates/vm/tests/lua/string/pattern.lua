-- string.find/match/gmatch/gsub
local function E(f) local ok, m = pcall(f) print("E", ok, m) end
local function J(...) local n = select("#", ...) local s = "" for i = 1, n do s = s .. "[" .. tostring((select(i, ...))) .. "]" end return s end

print(string.find("hello world", "o"), string.find("hello world", "o", 6), string.find("hello", "xyz"))
print(string.find("hello", ""), string.find("hello", "", 10), string.find("hello", "", 6), string.find("", ""))
print(string.find("hello", "l", -2), string.find("hello", "h", -100), string.find("a.b", ".", 1, true))
print(string.find("a+b", "+", 1, true), string.find("a+b", "a+"), string.find("abc", "b", nil, false))
print(string.find("hello world", "(o)(r)"), string.find("hello", "()ll()"), string.find("x=1, y=2", "(%w+)=(%w+)"))
print(string.find("abc", "^b"), string.find("abc", "^a"), string.find("aaa", "a-", 2), string.find("abc", "c$"))
print(string.find("a\0b", "\0"), string.find("a\0b", "%z"), string.find("abc\0\0abc", "c\0\0a."))
print(string.match("hello 123 world", "%d+"), string.match("key = value", "(%w+)%s*=%s*(%w+)"))
print(string.match("hello", "()ll()"), string.match("hello", "xyz"), string.match("hello", ".-", 3))
print(string.match("  trim  ", "^%s*(.-)%s*$") .. "|", string.match("2024-01-15", "(%d+)-(%d+)-(%d+)"))
print(string.match("[[nested]]", "%[(%b[])%]"), string.match("f(a(b)c)d", "%b()"), string.match("THE (quick) fox", "%f[%a]%a+"))
print(string.match("hello", "(h)(e)(l)(l)(o)"), string.match("abc", "((a)(b))"))
print(string.match("abc", "a*"), string.match("bbb", "a*"), string.match("aaab", "a+b"), string.match("ab", "a?b"))
print(string.match("x", "[%a_][%w_]*"), string.match("_id9 rest", "[%a_][%w_]*"), string.match("]", "[]]"), string.match("a-b", "[a%-]+"))
print(string.match("abc", "[^a]+"), string.match("hello", "[a-f]+"), string.match("\n\t x", "%s+()"), string.match("ABC", "%u+"))
print(string.match("12ab", "%x+"), string.match("a.b", "%."), string.match("p%q", "%%"), string.match("abc", ".", -1))
print(string.match("hello world from lua", "(%w+) (%w+)", 7), string.match("aaa", "(a)%1"), string.match("abab", "(ab)%1"))
print(string.match("hello", "", 10), string.match("hello", "()", 6), string.match(123456, "3(4)"))
for _, p in ipairs({"%", "(", "(()", "%b", "[a", "[]", "%1", "(%1)", "%f", "a)", "%g*)", "[%", "%9"}) do
  E(function() return string.find("abc", p) end)
end
E(function() return string.match("a", string.rep("(", 33)) end)
E(function() return string.match(string.rep("a", 300000), string.rep("a?", 300000) .. string.rep("a", 300000)) end)
E(function() return string.find() end)
E(function() return string.find("a") end)
E(function() return string.find("a", "b", "x") end)
E(function() return string.match({}, "b") end)

-- gmatch
local out = {}
for w in string.gmatch("one two  three", "%a+") do out[#out + 1] = w end
print(#out, out[1], out[2], out[3])
out = {}
for k, v in string.gmatch("a=1, b=2, c=3", "(%w+)=(%w+)") do out[#out + 1] = k .. ":" .. v end
print(out[1], out[2], out[3])
out = {}
for p in string.gmatch("abc", "()") do out[#out + 1] = p end
print(#out, out[1], out[4])
out = {}
for w in string.gmatch("abc", "") do out[#out + 1] = "[" .. w .. "]" end
print(#out, out[1])
out = {}
for w in string.gmatch("hello world", "%a+", 3) do out[#out + 1] = w end
print(out[1], out[2])
out = {}
for w in string.gmatch("hello world", "%a+", -5) do out[#out + 1] = w end
print(out[1], out[2])
out = {}
for w in string.gmatch("abc", ".", 10) do out[#out + 1] = w end
print(#out)
out = {}
for w in string.gmatch("^a^b", "^.") do out[#out + 1] = w end
print(#out, out[1], out[2])
out = {}
for a in string.gmatch("aaa bbb", "a*") do out[#out + 1] = "<" .. a .. ">" end
print(#out, out[1], out[2], out[3], out[4])
local it = string.gmatch("x y", "%a")
print(it(), it(), it(), it())
E(function() for w in string.gmatch("abc", "(") do end end)
E(function() return string.gmatch() end)

-- gsub
print(string.gsub("hello world", "o", "0"))
print(string.gsub("hello world", "o", "0", 1))
print(string.gsub("hello world", "o", "0", 0))
print(string.gsub("hello world", "o", "0", -1))
print(string.gsub("hello world", "(o)", "[%1]"))
print(string.gsub("hello world", "%w+", "<%0>"))
print(string.gsub("hello world", "(%w+) (%w+)", "%2 %1"))
print(string.gsub("abc", "", "-"))
print(string.gsub("abc", "%w*", "-"))
print(string.gsub("hello world", "", "-", 3))
print(string.gsub("abc", "b*", "X"))
print(string.gsub("", "", "X"))
print(string.gsub("abc", "^a", "X"))
print(string.gsub("abc", "^b", "X"))
print(string.gsub("aaa", "^a", "X"))
print(string.gsub("abc", "$", "!"))
print(string.gsub("a.b.c", "%.", "%%"))
print(string.gsub("abc", ".", {a = 1, b = "B", c = false}))
print(string.gsub("abc", "%w", {a = "A", b = 2.5}))
print(string.gsub("abc", ".", function(c) return c:upper() .. c end))
print(string.gsub("abc", ".", function(c) if c == "b" then return nil end return "-" end))
print(string.gsub("x = 1, y = 2", "(%w+) = (%w+)", function(k, v) return v .. "=" .. k end))
print(string.gsub("abc", "()", function(p) return p end))
print(string.gsub("abc", "()b", "%1"))
print(string.gsub("hello", "l+", function() return 42 end))
print(string.gsub("abc", ".", setmetatable({}, {__index = function(t, k) return k .. k end})))
print(string.gsub(12345, 3, 9), string.gsub("a1b2", "%d", 7), string.gsub("abc", "b", "%%"))
print(string.gsub("hello world", "o", "%0%0"))
print(string.gsub("abc", "a(b)c", "%1%0%1"))
print(string.gsub("abc", "b", "%1"))
print(string.gsub("one two", "(%w+)", "%1", 1.0))
E(function() return string.gsub("abc", "b", "%2") end)
E(function() return string.gsub("abc", "b", "%x") end)
E(function() return string.gsub("abc", "b", "%") end)
E(function() return string.gsub("abc", "b", true) end)
E(function() return string.gsub("abc", "b") end)
E(function() return string.gsub("abc", "b", {b = {}}) end)
E(function() return string.gsub("abc", "b", function() return {} end) end)
E(function() return string.gsub("abc", "b", "x", 1.5) end)
E(function() return string.gsub("abc", "(b", "x") end)
E(function() return string.gsub("abc", ".", function(c) error("in repl " .. c) end) end)
E(function() return string.gsub("alo", ".", setmetatable({}, {__index = function() error("idx") end})) end)
