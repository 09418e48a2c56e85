-- A wait from an at() callback (a DPC).
-- expect-exit: 4
-- expect-stderr: ATTEMPTED_SWITCH_FROM_DPC
machine { cpus = 1 }
local e = event { name = "e" }
at(ms(1), function() KeWaitForSingleObject(e, { timeout = ms(1) }) end)
