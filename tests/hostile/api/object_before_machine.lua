-- An object created before machine{}.
-- expect-exit: 3
-- expect-stderr: scenario error: api/object_before_machine.lua:6: machine{} must come before any process, thread, object or at()
-- (no machine{} first)
local e = event { name = "e" }
machine { cpus = 2 }
