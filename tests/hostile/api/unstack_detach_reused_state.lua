-- KeUnstackDetachProcess twice with the same state.
-- expect-exit: 3
-- expect-stderr: scenario error: api/unstack_detach_reused_state.lua:9: KeUnstackDetachProcess: this state was detached already
machine { cpus = 1 }
local p = process { name = "p" }
thread { name = "A", system = true, body = function()
  local s = KeStackAttachProcess(p)
  KeUnstackDetachProcess(s)
  KeUnstackDetachProcess(s)
end }
