-- A __gc finalizer that calls the kernel and the API. It would run when apcsim
-- closes the Lua state, after the run: objects used after the run must be
-- refused or ignored, never touch freed memory.
-- expect-exit: 3
-- expect-stderr: __gc finalizers are not available in scenarios
machine { cpus = 1 }
local e = event { name = "e" }
local T
_G.keep = setmetatable({}, { __gc = function()
  local s = state(T)
  KeSetEvent(e, 0)
end })
T = thread { name = "T", system = true, body = function() compute(us(1)) end }
