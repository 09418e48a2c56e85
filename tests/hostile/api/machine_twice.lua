-- machine{} twice.
-- expect-exit: 3
-- expect-stderr: scenario error: api/machine_twice.lua:5: machine{} may be called only once
machine { cpus = 1 }
machine { cpus = 2 }
