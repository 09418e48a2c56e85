-- os.exit from a user APC routine (would end apcsim without a trace).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/os_exit_in_apc.lua:9: attempt to index a nil value (global 'os')
machine { cpus = 1 }
local T = thread { name = "T", body = function()
  SleepEx(100, true)
end }
at(ms(1), function() QueueUserAPC(function()
  os.exit(0)
end, T, 0) end)
