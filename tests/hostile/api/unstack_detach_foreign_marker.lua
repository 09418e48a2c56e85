-- The same with a state from an attach to the thread's own process (a
-- "marker" state, Process = 1).
-- expect-exit: 3|4
-- expect-stderr: api/unstack_detach_foreign_marker.lua:12:
machine { cpus = 1 }
local S
thread { name = "A", system = true, body = function()
  S = KeStackAttachProcess(current_process())
  KeDelayExecutionThread("KernelMode", false, ms(5))
end }
thread { name = "B", system = true, start_at = ms(1), body = function()
  KeUnstackDetachProcess(S)
end }
