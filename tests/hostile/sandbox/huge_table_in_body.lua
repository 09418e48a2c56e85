-- A thread body fills the memory cap with many small tables (the default
-- 512 MiB cap does the same, only slower; here --memory-limit 64).
-- args: --memory-limit 64
-- expect-exit: 3
-- expect-stderr: memory limit exceeded
-- expect-stderr: scenario error: sandbox/huge_table_in_body.lua:10:
machine { cpus = 1 }
thread { name = "T", body = function()
  local t = {}
  for i = 1, 1 << 40 do t[i] = { i } end
end }
