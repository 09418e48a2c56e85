-- KeStackAttachProcess from a DPC.
-- expect-exit: 4
-- expect-stderr: INVALID_PROCESS_ATTACH_ATTEMPT
machine { cpus = 1 }
local p = process { name = "p" }
at(ms(1), function() KeStackAttachProcess(p) end)
