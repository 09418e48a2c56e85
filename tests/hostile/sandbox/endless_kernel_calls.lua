-- An endless loop of kernel calls that never lets time pass (each call is a
-- kernel step, so the step guard, not the instruction budget, ends it).
-- no-invariants
-- builds: rel
-- args: --no-trace
-- expect-exit: 3
-- expect-stderr: without simulated time passing
-- expect-stderr: scenario error: sandbox/endless_kernel_calls.lua:12:
machine { cpus = 1 }
local m = mutant { name = "m" }
thread { name = "T", system = true, body = function()
  while true do KeWaitForSingleObject(m) end
end }
