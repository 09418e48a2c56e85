-- machine{stop_at} before time 0.
-- expect-exit: 3
-- expect-stderr: scenario error: api/stop_at_negative.lua:4:
machine { cpus = 1, stop_at = -5 }
thread { name = "T", system = true, body = function() compute(ms(1)) end }
