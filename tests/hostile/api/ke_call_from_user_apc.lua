-- A Ke routine called from a user-mode APC routine.
-- expect-exit: 3
-- expect-stderr: scenario error: api/ke_call_from_user_apc.lua:7: KeEnterCriticalRegion called from user mode
machine { cpus = 1 }
local T = thread { name = "T", body = function() SleepEx(100, true) end }
at(ms(1), function() QueueUserAPC(function()
  KeEnterCriticalRegion()
end, T, 0) end)
