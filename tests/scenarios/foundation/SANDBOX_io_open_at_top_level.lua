-- SANDBOX_io_open_at_top_level: the sandbox applies to the scenario's top
-- level too: io.open while the file loads is a scenario error at file:line.
-- API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_io_open_at_top_level.lua:7:
machine { cpus = 1 }
local f = io.open("/etc/hostname", "r")
