-- The same with --memory-limit 16 in an at() callback.
-- args: --memory-limit 16
-- expect-exit: 3
-- expect-stderr: memory limit exceeded
-- expect-stderr: scenario error: sandbox/huge_table_small_cap.lua:9:
machine { cpus = 1 }
at(ms(1), function()
  local t = {}
  for i = 1, 1 << 40 do t[i] = { i } end
end)
