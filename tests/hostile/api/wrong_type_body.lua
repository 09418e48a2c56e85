-- A thread whose body is not a function.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_type_body.lua:5: thread{}: 'body' must be a function
machine { cpus = 1 }
thread { name = "T", body = 42 }
