-- A thread named like a CPU's idle thread.
-- expect-exit: 3
-- expect-stderr: scenario error: api/thread_name_taken.lua:5: thread{}: a thread named 'Idle/0' exists already
machine { cpus = 1 }
thread { name = "Idle/0", body = function() end }
