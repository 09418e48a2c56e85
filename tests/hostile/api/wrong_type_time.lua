-- at() with a string time.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_type_time.lua:5: at: expected a time in ns (integer), got string
machine { cpus = 1 }
at("soon", function() end)
