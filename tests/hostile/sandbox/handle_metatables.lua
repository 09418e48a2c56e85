-- getmetatable on thread and event handles is protected; setmetatable on a
-- handle is refused.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/handle_metatables.lua:11: bad argument #1 to 'setmetatable' (table expected, got apcsim.handle)
machine { cpus = 1 }
local e = event { name = "e" }
local T = thread { name = "T", body = function() end }
expect(getmetatable(e) == false, "event metatable is exposed")
expect(getmetatable(T) == false, "thread metatable is exposed")
expect(T.name == "T" and tostring(T) == "T", "handle reads")
setmetatable(T, { __index = function() return "forged" end })
