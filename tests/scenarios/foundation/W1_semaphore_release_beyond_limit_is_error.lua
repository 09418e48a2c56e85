-- W1_semaphore_release_beyond_limit_is_error: releasing a semaphore past its
-- limit makes KeReleaseSemaphore raise STATUS_SEMAPHORE_LIMIT_EXCEEDED (NT
-- raises an exception; no driver catches it here), which apcsim reports as a
-- scenario error at the caller's file:line; the count is not changed.
-- Rules: W1 (semaphore object); API (scenario errors with file:line).
-- expect-exit: 3
-- expect-stderr: W1_semaphore_release_beyond_limit_is_error.lua:13:
-- expect-stderr: STATUS_SEMAPHORE_LIMIT_EXCEEDED
local s = semaphore { name = "s", count = 1, limit = 2 }

thread { name = "releaser", system = true, body = function()
    expect(KeReleaseSemaphore(s, 0, 1) == 1, "1 -> 2 is within the limit")
    KeReleaseSemaphore(s, 0, 1)   -- line 13: 2 -> 3 exceeds the limit 2
    expect(false, "not reached")
end }
