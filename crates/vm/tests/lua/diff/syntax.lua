-- Syntax error messages (text, line, 'near' token) and lexer corner
-- cases, compared byte for byte with lua5.4 (regen.sh).
local cases = {
  "x = ", "x = 'abc", "x = [[abc", "--[[abc", "x = 3 +* 4", "goto foo", "::a:: ::a::",
  "local x <const> = 1; x = 2", "for i = 1 do end", "x = '\\q'", "x = '\\300'", "x = 0x", "x = 1e",
  "return return", "f(", "a.b:c = 1", "local function end", "if x then", "if x then else elseif",
  "x = }", "x = {1, 2", "local t = {a = }", "local x <foo> = 1", "local x <close>, y <close> = 1, 2",
  "do local x <close> = 1 end", "x = 1 1", "x = ...", "function f() return ... end", "local a, b, = 1",
  "x = 'a\nb'", "x = \"\\u{110000000}\"", "x = '\\u{7FFFFFFF}'", "x = '\\xZZ'", "x = '\\x5'", "x = 3..4",
  "x = 0x1p", "x = 1..2", "x = #", "a = b = c", "return 1,", "f() = 1", "(a) = 1", "a, b() = 1, 2",
  "local 1 = 2", "x = @", "x = $", "x = ~= 1", "goto continue; local x; ::continue::",
  "do goto l1 end ::l1::", "goto l2; do ::l2:: end", "repeat local x; goto e until x ::e::",
  "repeat goto e; local x until x ::e::", "while true do end ::a:: goto a ::a::",
  "local " .. string.rep("a,", 250) .. "a = 1",
  "x = 12345678901234567890", "x = 0xffffffffffffffffff", "x = 1e400", "x = .5", "x = 5.", "x = 0x.8p1", "x = 3e-2",
  "return 'a' .. 'b' == 'ab'", "x = 1 // 0", "return 2^63 == math.maxinteger + 1.0",
  "x = \"abc\\z   \n   def\"", "x = [==[\nfoo]==]", "x = [=[ ]]", "--[==[ unclosed", "x = '\\", "\n\n\nx = = 1",
  "local function f() end f() = 2", "return function() return end end",
  "for k, v in pairs(t) do goto cont; local z; ::cont:: end",
  "local a <const> = 10; local function g() a = 1 end",
  "x = not", "return -", "x = 1 + ", "local t = {[1] = }", "t = {,}", "t = {1;;2}", "::lbl", "goto", "goto 1",
  "a.b.c", "a:b", "a:b.c()", "a = function", "return 0x7fffffffffffffff + 1", "return 9223372036854775808",
  "return -9223372036854775808", "return math.type(9223372036854775807)", "return 1e", "return 1e+", "return 0xg",
  "return 08", "return 1.2.3", "return 3 .. 4", "return 0x1P-2", "return '\\065\\x41\\u{41}'",
  -- A string token is shown decoded, between its delimiters.
  "x = 0 \"a\\z  \n  b\"", "x = 1 '\\65\\n'", "x = 2 [==[\nlong\r\nstring]==]", "f 'a' 'b' '' 3",
  -- A bad escape is shown after the string's value so far.
  "x = 'a\\tb\\65\\q'", "x = 'a\\tb\\x4\\x4g'", "x = 'a\\n\\u{41}\\u{7FFFFFFFF}'", "x = 'ab\\u{41'", "x = 'ab\\u41'",
  "x = 'ab\\u{}'", "x = 'a\\tb\\256'", "x = 'a\\tb\nc'", "x = 'a\\z   b\\", "x = \"\\65\\x41\\300\"",
  -- A byte that starts no token is rejected by the parser where it stands
  -- (a NUL is shown as no token at all).
  "x @ 1", "return 1 @", "f(1 @)", "local t = {1 @}", "if x @ then end", "local a @", "x = a.@", "x = 1 + @",
  "\1", "return 1\0", "x = 1 \0", "\0", "x = {\0}", "f(\0)", "x = '\0'", "-- \0 comment\nreturn 1"
}
for i, c in ipairs(cases) do
  local f, err = load(c, "=c" .. i)
  if f then
    local ok, r = pcall(f)
    print(i, "ok", ok, r)
  else
    print(i, err)
  end
end
-- a chunk id cut inside a UTF-8 sequence keeps the bytes it has
for pad = 0, 1 do
  local _, e = load(("x"):rep(pad) .. " = = 'éééééééééééééééééééééééééééééééééééééééééééééééé'")
  print(#e, e:byte(-40, -32))
end
-- error() and assert() place messages with the same exact chunk id
for pad = 0, 1 do
  local p = ("x"):rep(pad)
  local _, e = pcall(load("error('e') --" .. p .. " éééééééééééééééééééééééééééééééééééééééééééééé"))
  print(#e, e:byte(-14, -8))
  _, e = pcall(load("assert(false, 'a') --" .. p .. " éééééééééééééééééééééééééééééééééééééééééééééé"))
  print(#e, e:byte(-14, -8))
end
