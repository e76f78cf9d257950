-- io on files (messages with the temporary names replaced)
local name = os.tmpname()
local function clean(...)
  local t = table.pack(...)
  for i = 1, t.n do
    if type(t[i]) == "string" then
      t[i] = t[i]:gsub(name:gsub("%p", "%%%0"), "TMP")
    elseif io.type(t[i]) then
      t[i] = io.type(t[i])
    end
  end
  return table.unpack(t, 1, t.n)
end
local function write(text)
  local f = assert(io.open(name, "wb"))
  f:write(text)
  f:close()
end
local function contents()
  local f = assert(io.open(name, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- writes to a read-only stream fail at once
write("abc\n")
local f = io.open(name)
print(clean(f:write("x")))
print(clean(f:read("l")))
f:close()
io.input(name)
print(clean(io.input():write("xuxu")))
io.input():close()
f = io.open(name, "r+")
print(clean(f:write("Q")))
f:close()
print(contents())
f = io.open(name, "rb")
print(clean(f:write()))
print(clean(f:write("")))
print(clean(f:write("", "")))
print(clean(f:write("", "x")))
f:close()
for _, mode in ipairs{"w", "a", "w+", "a+", "r+", "wb", "r+b"} do
  f = io.open(name, mode)
  print(mode, clean(f:write("1")))
  f:close()
end
print(contents())
os.remove(name)

-- a read count PUC-Rio cannot reserve fails even at the end of the file
write("abc")
f = io.open(name)
print(pcall(f.read, f, -1))
print(pcall(f.read, f, 2^40))
print(f:read(2), f:read(5), f:read(1))
f:close()
os.remove(name)
