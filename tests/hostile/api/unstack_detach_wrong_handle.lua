-- KeUnstackDetachProcess with a thread handle instead of the state.
-- expect-exit: 3
-- expect-stderr: scenario error: api/unstack_detach_wrong_handle.lua:8: argument #1: expected the state KeStackAttachProcess returned, got thread
machine { cpus = 1 }
local p = process { name = "p" }
thread { name = "A", system = true, body = function()
  KeStackAttachProcess(p)
  KeUnstackDetachProcess(current_thread())
end }
