-- A state left by a thread that has ended, used by another thread.
-- expect-exit: 3
-- expect-stderr: scenario error: api/unstack_detach_dead_threads_state.lua:13: KeUnstackDetachProcess: this state was detached already
machine { cpus = 1 }
local p = process { name = "p" }
local S
thread { name = "A", system = true, body = function()
  S = KeStackAttachProcess(p)
  KeUnstackDetachProcess(S)
end }
thread { name = "B", system = true, start_at = ms(1), body = function()
  local s2 = KeStackAttachProcess(p)
  KeUnstackDetachProcess(S)
end }
