-- A Ke routine called from user mode.
-- expect-exit: 3
-- expect-stderr: scenario error: api/ke_call_from_user_mode.lua:5: KeRaiseIrql called from user mode
machine { cpus = 1 }
thread { name = "T", body = function() KeRaiseIrql(DISPATCH_LEVEL) end }
