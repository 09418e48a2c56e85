-- A wait at setup time.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wait_during_setup.lua:6: KeWaitForSingleObject must be called from simulated code
machine { cpus = 1 }
local e = event { name = "e" }
KeWaitForSingleObject(e)
