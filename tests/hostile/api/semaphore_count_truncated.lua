-- KeReleaseSemaphore with n = 2^32 + 1: silently truncated to 1 today.
-- expect-exit: 3
-- expect-stderr: scenario error: api/semaphore_count_truncated.lua:7:
machine { cpus = 1 }
local s = semaphore { name = "s", count = 0, limit = 5 }
thread { name = "S", system = true, body = function()
  KeReleaseSemaphore(s, 0, (1 << 32) + 1)
end }
