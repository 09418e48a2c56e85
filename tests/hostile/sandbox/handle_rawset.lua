-- rawset on a handle (bypassing __newindex).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/handle_rawset.lua:6: bad argument #1 to 'rawset' (table expected, got apcsim.handle)
machine { cpus = 1 }
local T = thread { name = "T", body = function() end }
rawset(T, "id", 999)
