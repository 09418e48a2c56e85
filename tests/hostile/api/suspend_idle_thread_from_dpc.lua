-- An at() callback suspends the idle thread it interrupted.
-- expect-exit: 3|4
-- expect-stderr: api/suspend_idle_thread_from_dpc.lua:9:
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  KeDelayExecutionThread("KernelMode", false, ms(3))
  compute(ms(1))
end }
at(ms(1), function() KeSuspendThread(current_thread()) end)
