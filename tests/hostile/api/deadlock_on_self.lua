-- A thread waiting on itself: blocked forever; the run ends normally.
-- expect-exit: 0
machine { cpus = 1 }
thread { name = "T", system = true, body = function() KeWaitForSingleObject(current_thread()) end }
