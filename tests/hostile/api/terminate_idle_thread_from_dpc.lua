-- In an at() callback current_thread() is the interrupted thread, here the
-- idle thread; the scenario terminates it.
-- expect-exit: 3|4
-- expect-stderr: api/terminate_idle_thread_from_dpc.lua:7:
machine { cpus = 1 }
thread { name = "T", system = true, body = function() compute(ms(3)) end }
at(ms(5), function() PsTerminateThread(current_thread(), 1) end)
