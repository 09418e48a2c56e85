-- W1_waitall_consumes_nothing_on_timeout: WaitAll satisfies its objects only
-- when all of them are satisfiable at once. A semaphore (count 1) plus an
-- event that never gets set: the wait times out at exactly its due time with
-- STATUS_TIMEOUT and the semaphore still has its count. Rules: W1 (steps 2, 4).
local s = semaphore { name = "s", count = 1, limit = 1 }
local e = event { name = "e" }
local done = false

thread { name = "waiter", system = true, body = function()
    local r = KeWaitForMultipleObjects({ s, e }, "WaitAll", { timeout = ms(4) })
    expect(r == "STATUS_TIMEOUT", "WaitAll times out, got " .. tostring(r))
    expect(now() == ms(4), "at exactly the due time, now=" .. now())
    r = KeWaitForSingleObject(s, { timeout = 0 })
    expect(r == "STATUS_WAIT_0", "the semaphore kept its count, got " .. tostring(r))
    done = true
end }

at(ms(5), function() expect(done, "the waiter finished") end)
