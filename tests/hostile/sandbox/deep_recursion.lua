-- Unbounded Lua recursion (Lua stack overflow).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/deep_recursion.lua:7: stack overflow
machine { cpus = 1 }
thread { name = "T", body = function() end }
local function f(n)
  return 1 + f(n + 1)
end
f(1)
