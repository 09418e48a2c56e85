-- QueueUserAPC with a number where the routine belongs: refused at the call,
-- at this line, not later at the delivery inside apcsim's library.
-- expect-exit: 3
-- expect-stderr: scenario error: api/queue_user_apc_not_a_function.lua:7: QueueUserAPC: argument #1 must be a function, got number
machine { cpus = 1 }
local p = process { name = "app" }
thread { name = "t", process = p, body = function() QueueUserAPC(5, current_thread(), 1); SleepEx(1, true) end }
