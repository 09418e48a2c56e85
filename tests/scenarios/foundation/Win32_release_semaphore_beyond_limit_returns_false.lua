-- Win32_release_semaphore_beyond_limit_returns_false: in Win32,
-- ReleaseSemaphore past the maximum count fails and returns FALSE
-- (NtReleaseSemaphore catches the kernel's STATUS_SEMAPHORE_LIMIT_EXCEEDED and
-- returns it; kernel32 turns it into FALSE / ERROR_TOO_MANY_POSTS); the count
-- is unchanged and the program goes on. Within the limit it returns TRUE.
-- API: "Win32 signatures follow the real ones ...; BOOL results are Lua
-- booleans".
local s = semaphore { name = "s", count = 0, limit = 1 }
local done = false

thread { name = "u", body = function()
    expect(ReleaseSemaphore(s, 1) == true, "0 -> 1 within the limit: TRUE")
    local ok = ReleaseSemaphore(s, 1)
    expect(ok == false, "1 -> 2 exceeds the limit 1: FALSE, got " .. tostring(ok))
    expect(WaitForSingleObject(s, 0) == "WAIT_OBJECT_0", "count still 1")
    expect(WaitForSingleObject(s, 0) == "WAIT_TIMEOUT", "and not 2")
    done = true
end }

at(ms(1), function() expect(done, "finished") end)
