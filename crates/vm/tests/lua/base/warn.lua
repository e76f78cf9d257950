-- warn: off by default; "@on"/"@off" switch it; arguments must be strings
print(pcall(function () warn() end))
print(pcall(function () warn("a", {}) end))
print(pcall(function () warn(nil, "a") end))
warn("dropped while off")
print(warn("@on"), warn("@bogus"), warn("@o"))
print(pcall(function () warn("a", nil) end))
warn("@off")
print(warn("x", 1, 2.5), select('#', warn("@on")))
