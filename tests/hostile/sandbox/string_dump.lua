-- Making bytecode with string.dump: removed.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/string_dump.lua:5: attempt to call a nil value (field 'dump')
machine { cpus = 1 }
local s = string.dump(function() return 1 end)
