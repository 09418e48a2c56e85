-- A finalizer with an endless loop, run when the Lua state is closed.
-- Finalizers run with hooks off, so the instruction budget does not apply.
-- expect-exit: 3
-- timeout: 3
-- expect-stderr: scenario error: sandbox/gc_finalizer_endless_at_close.lua:7:
machine { cpus = 1 }
_G.keep = setmetatable({}, { __gc = function() while true do end end })
thread { name = "T", system = true, body = function() compute(us(1)) end }
