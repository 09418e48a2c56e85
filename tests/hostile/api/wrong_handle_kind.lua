-- A process handle passed to KeSetEvent.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_handle_kind.lua:6: argument #1: expected an event, got process
machine { cpus = 1 }
local p = process { name = "p" }
thread { name = "T", system = true, body = function() KeSetEvent(p, 0) end }
