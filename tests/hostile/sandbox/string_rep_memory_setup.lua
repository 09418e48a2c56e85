-- string.rep of 1 GiB at setup: over the 512 MiB memory cap.
-- expect-exit: 3
-- expect-stderr: memory limit exceeded
-- expect-stderr: scenario error: sandbox/string_rep_memory_setup.lua:7:
machine { cpus = 1 }
thread { name = "T", body = function() end }
local s = string.rep("abcdefgh", 1 << 27)
