-- Recursion through a metamethod (C stack overflow) inside a body.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/c_stack_overflow.lua:5: C stack overflow
machine { cpus = 1 }
local t = setmetatable({}, { __index = function(t, k) return t[k .. "x"] end })
thread { name = "T", body = function()
  local x = t.a
end }
