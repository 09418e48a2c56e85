-- A Ke routine called while the scenario is set up (no thread yet).
-- expect-exit: 3
-- expect-stderr: scenario error: api/ke_call_during_setup.lua:6: KeSetEvent must be called from simulated code
machine { cpus = 1 }
local e = event { name = "e" }
KeSetEvent(e, 0)
