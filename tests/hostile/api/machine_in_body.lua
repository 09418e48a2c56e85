-- machine{} from a thread body, after the run started.
-- expect-exit: 3
-- expect-stderr: scenario error: api/machine_in_body.lua:5: machine{} must come before
machine { cpus = 1 }
thread { name = "T", system = true, body = function() machine { cpus = 2 } end }
