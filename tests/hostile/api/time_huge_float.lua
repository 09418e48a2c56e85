-- compute(1e300): the message must not name a garbage duration.
-- expect-exit: 3
-- expect-stderr: scenario error: api/time_huge_float.lua:6:
-- forbid-stderr: -9223372036854775808
machine { cpus = 1 }
thread { name = "T", system = true, body = function() compute(1e300) end }
