-- Assigning to a handle field (changing a thread's identity).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/handle_assign.lua:6: handles are read-only
machine { cpus = 1 }
local e = event { name = "e" }
e.id = 1
