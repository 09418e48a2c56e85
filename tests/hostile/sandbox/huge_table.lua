-- An ever-growing table: the memory cap must stop it.
-- expect-exit: 3
-- expect-stderr: memory limit exceeded
-- expect-stderr: scenario error: sandbox/huge_table.lua:8:
machine { cpus = 1 }
thread { name = "T", body = function() end }
local t = {}
for i = 1, 1 << 40 do t[i] = i end
