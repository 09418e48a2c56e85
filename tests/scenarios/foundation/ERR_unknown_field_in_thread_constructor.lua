-- ERR_unknown_field_in_thread_constructor: a misspelt field in a constructor
-- (thread{priorty = 9}) is rejected as a scenario error at file:line rather
-- than silently ignored. API: scenario errors.
-- expect-exit: 3
-- expect-stderr: ERR_unknown_field_in_thread_constructor.lua:7:
-- expect-stderr: priorty
thread { name = "t", priorty = 9, body = function() end }
