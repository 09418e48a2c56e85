-- Thread B detaches with the KAPC_STATE that thread A got from
-- KeStackAttachProcess (a foreign state).
-- expect-exit: 3|4
-- expect-stderr: api/unstack_detach_foreign_state.lua:14:
machine { cpus = 1 }
local p = process { name = "p" }
local S
thread { name = "A", system = true, body = function()
  S = KeStackAttachProcess(p)
  KeDelayExecutionThread("KernelMode", false, ms(5))
  KeUnstackDetachProcess(S)
end }
thread { name = "B", system = true, start_at = ms(1), body = function()
  KeUnstackDetachProcess(S)
end }
