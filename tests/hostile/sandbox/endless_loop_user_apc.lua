-- while true do end in a user APC routine (QueueUserAPC).
-- args: --instruction-budget 20000000
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/endless_loop_user_apc.lua:10: instruction budget exceeded
machine { cpus = 1 }
local T = thread { name = "T", body = function()
  SleepEx(100, true)
end }
at(ms(1), function() QueueUserAPC(function()
  while true do end
end, T, 0) end)
