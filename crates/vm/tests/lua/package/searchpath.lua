-- package.searchpath: separator replacement, templates, the "no file" list
local dir = os.tmpname()
os.remove(dir)
local function touch(name)
  local f = assert(io.open(dir .. name, "w"))
  f:write("return ...")
  f:close()
end
local function plain(s) return (s:gsub("%p", "%%%0")) end
local function search(...)
  local r = table.pack(package.searchpath(...))
  for i = 1, r.n do
    if type(r[i]) == "string" then r[i] = r[i]:gsub(plain(dir), "<dir>") end
  end
  print(table.unpack(r, 1, r.n))
end

touch("_C.lua")
touch("_XXxX")
local p = dir .. "_?"
search("C.lua", p, "", "")
search("C.lua", p, ".", ".")
search("--x-", p, "-", "X")
search("---xX", p, "---", "XX")
search("a..b", p .. ";x?y", "..", "Z")
search("a.b.c", p)
search("a.b", p .. ";;" .. p .. ".lua", ".", "/")
search("C", p .. ".lua")
search("C", "")
os.remove(dir .. "_C.lua")
os.remove(dir .. "_XXxX")
local ok, err = pcall(function() return package.searchpath() end)
print(ok, err)
