-- Millions of threads: their KTHREADs live on the C side, outside the Lua
-- allocator, and are charged to --memory-limit too, so the run stops at the
-- cap (it used to reach ten times the cap first).
-- expect-exit: 3
-- args: --memory-limit 64
-- expect-stderr: scenario error: sandbox/kernel_objects_count_against_memory_limit.lua:9: memory limit exceeded (64 MiB
machine { cpus = 1 }
local p = process { name = "app" }
for i = 1, 10000000 do thread { name = "t" .. i, process = p, body = function() end } end
