-- ms(math.maxinteger) overflows int64 in C (undefined behaviour).
-- expect-exit: 3
-- expect-stderr: api/time_overflow_ms.lua:6:
machine { cpus = 1 }
thread { name = "T", body = function() end }
local x = ms(math.maxinteger)
