-- KeInitializeApc reads its option table in one pass (rt_read_fields): a
-- wrong value in it still names the field. Here: an event as the thread.
-- expect-exit: 3
-- expect-stderr: scenario error: api/apc_option_errors.lua:8: KeInitializeApc: field 'thread' must be a thread, got event
machine { cpus = 1 }
local e = event { name = "E", type = "notification" }
thread { name = "T", system = true, body = function()
  KeInitializeApc { thread = e, kernel_routine = function() end }
end }
