-- W1_semaphore_count_and_release: a semaphore with count 2 satisfies two waits
-- without blocking (each takes one unit), the third blocks; KeReleaseSemaphore
-- returns the previous count, wakes the waiter, and the units it does not use
-- stay in the count. Rules: W1 (step 2), W3; API (KeReleaseSemaphore returns
-- the previous signal state).
local s = semaphore { name = "s", count = 2, limit = 5 }
local done = false

local t = thread { name = "taker", system = true, body = function()
    expect(KeWaitForSingleObject(s, {}) == "STATUS_WAIT_0", "first unit")
    expect(KeWaitForSingleObject(s, {}) == "STATUS_WAIT_0", "second unit")
    expect(now() == 0, "two units taken without blocking")
    local r = KeWaitForSingleObject(s, {})
    expect(r == "STATUS_WAIT_0", "third wait satisfied by the release, got " .. tostring(r))
    expect(now() == ms(1), "woken at the release, now=" .. now())
    -- 3 released, 1 taken by this wait: 2 left
    expect(KeWaitForSingleObject(s, { timeout = 0 }) == "STATUS_WAIT_0", "unit 1 of 2 left")
    expect(KeWaitForSingleObject(s, { timeout = 0 }) == "STATUS_WAIT_0", "unit 2 of 2 left")
    expect(KeWaitForSingleObject(s, { timeout = 0 }) == "STATUS_TIMEOUT", "count is 0 again")
    done = true
end }

at(us(500), function() expect(state(t).state == "Waiting", "third wait blocks on count 0") end)
at(ms(1), function()
    local prev = KeReleaseSemaphore(s, 0, 3)
    expect(prev == 0 and math.type(prev) == "integer", "previous count 0, got " .. tostring(prev))
end)
at(ms(2), function()
    expect(done, "taker finished")
    expect(KeReleaseSemaphore(s, 0, 1) == 0, "count was 0")
    expect(KeReleaseSemaphore(s, 0, 2) == 1, "count was 1")
end)
