-- Hook events as PUC-Rio reports them: sethook's own return event, and
-- count hooks counting the instructions of the hook function too.
local ev = {}
local function rec(e) local i = debug.getinfo(2, "nS"); ev[#ev+1] = e .. ":" .. tostring(i and i.name) .. ":" .. (i and i.what or "?") end
debug.sethook(rec, "cr")
select(1, 2)
local t = setmetatable({}, {__index = function() return 1 end})
local _ = t.x
tostring(1)
debug.sethook()
for _, e in ipairs(ev) do print(e) end
local c = 0
debug.sethook(function() c = c + 1 end, "", 100)
for i = 1, 10000 do end
debug.sethook()
print("count", c)
c = 0
debug.sethook(function() c = c + 1 end, "", 1)
local s = 0
for i = 1, 100 do s = s + i end
debug.sethook()
print("count1", c)
c = 0
debug.sethook(function() c = c + 1; local x = 0; for i = 1, 10 do x = x + i end end, "", 7)
for i = 1, 1000 do end
debug.sethook()
print("count7", c)
