-- loadfile and dofile: luaL_loadfile's messages, byte order mark and '#' line
local dir = os.tmpname()
os.remove(dir)
local function path(name) return dir .. "-" .. name end
local function clean(...)
  local t = table.pack(...)
  for i = 1, t.n do
    if type(t[i]) == "string" then
      t[i] = t[i]:gsub(dir:gsub("%p", "%%%0"), "DIR")
    elseif type(t[i]) == "function" then
      t[i] = "function"
    end
  end
  return table.unpack(t, 1, t.n)
end
local files = {
  bom = "\xEF\xBB\xBF#!/usr/bin/lua\nreturn 1 + 1, select('#', ...)\n",
  bomonly = "\xEF\xBB\xBFreturn 2\n",
  shebang = "#!/x\nreturn 3\n",
  halfbom = "\xEF\xBBreturn 4\n",
  halfbom2 = "\xEFreturn 4\n",
  empty = "",
  hash = "#",
  bomhash = "\xEF\xBB\xBF#",
  justbom = "\xEF\xBB\xBF",
  errline = "# comment\nerror('x')\n",
  bomerr = "\xEF\xBB\xBF# c\n\nerror('y')\n",
  syntax = "#!\nx = = 1\n",
  env = "return x",
}
local names = {}
for name, text in pairs(files) do
  names[#names + 1] = name
  local f = assert(io.open(path(name), "wb"))
  f:write(text)
  f:close()
end
table.sort(names)
names[#names + 1] = "missing"
for _, name in ipairs(names) do
  print(name, clean(loadfile(path(name))))
  print(name, clean(pcall(dofile, path(name))))
end
local f = loadfile(path("bom"))
print(f(1, 2, 3))
print(clean(loadfile(path("bom"), "b")))
print(clean(loadfile(path("bom"), "t")))
print(loadfile(path("env"), "t", {x = "from env"})())
x = "global"
print(dofile(path("env")), loadfile(path("env"), "bt")())
print((pcall(loadfile(path("env"), "bt", nil))))
print(clean(loadfile(dir .. "-missing/x.lua")))
print(clean(pcall(dofile, dir .. "-missing/x.lua")))
-- a directory opens but cannot be read
print(clean(loadfile("/")))
print(clean(pcall(dofile, "/")))
print(pcall(function () return loadfile({}) end))
print(pcall(function () return dofile({}) end))
for _, name in ipairs(names) do os.remove(path(name)) end
