-- at()'s options are read in one pass (rt_read_fields): a float CPU number
-- is still refused by name.
-- expect-exit: 3
-- expect-stderr: scenario error: api/at_option_wrong_type.lua:6: field 'cpu' must be an integer, got a float
machine { cpus = 2 }
at(0, function() end, { cpu = 1.5 })
