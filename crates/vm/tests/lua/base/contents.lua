-- The names in every library and in the file and string metatables
local out = {}
for _, lib in ipairs{"_G", "string", "table", "math", "io", "os", "utf8", "debug", "coroutine", "package"} do
  local t = lib == "_G" and _G or _G[lib]
  local names = {}
  for k, v in pairs(t) do if lib ~= "_G" or type(v) == "function" then names[#names+1] = tostring(k) end end
  table.sort(names)
  print(lib .. ": " .. table.concat(names, " "))
end
local names = {}
for k in pairs(getmetatable(io.stdout).__index) do names[#names+1] = k end
table.sort(names) print("file: " .. table.concat(names, " "))
names = {}
for k in pairs(getmetatable(io.stdout)) do names[#names+1] = k end
table.sort(names) print("filemeta: " .. table.concat(names, " "))
names = {}
for k in pairs(getmetatable("")) do names[#names+1] = k end
table.sort(names) print("strmeta: " .. table.concat(names, " "))
