-- W1_timer_signals_at_due_time: KeSetTimer(t, due) with a relative due time
-- signals the (notification) timer at exactly now + due with the default exact
-- timer resolution; the waiter gets STATUS_WAIT_0 then, and the timer stays
-- signaled for later waits.
-- Rules: W1, W3, R10 (timer expiry is DPC work); API "Timers".
local tm = timer { name = "tm" }
local done = false

thread { name = "waiter", system = true, body = function()
    compute(us(300))
    KeSetTimer(tm, ms(5))
    local r = KeWaitForSingleObject(tm, {})
    expect(r == "STATUS_WAIT_0", "the timer satisfies the wait, got " .. tostring(r))
    expect(now() == us(300) + ms(5), "at exactly 5.3 ms, now=" .. now())
    r = KeWaitForSingleObject(tm, { timeout = 0 })
    expect(r == "STATUS_WAIT_0", "a notification timer stays signaled, got " .. tostring(r))
    done = true
end }

at(ms(6), function() expect(done, "the waiter finished") end)
