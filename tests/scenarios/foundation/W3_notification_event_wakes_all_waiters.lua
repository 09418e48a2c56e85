-- W3_notification_event_wakes_all_waiters: setting a notification
-- (manual-reset) event wakes every waiter with STATUS_WAIT_0 and the event
-- stays signaled, so a later wait is satisfied at once; KeResetEvent returns
-- the previous state and makes later waits block. Rules: W1, W3; API (return
-- values of KeSetEvent / KeResetEvent).
local e = event { name = "e" }   -- notification is the default
local woke = 0

for i = 1, 3 do
    thread { name = "w" .. i, system = true, body = function()
        local r = KeWaitForSingleObject(e, {})
        expect(r == "STATUS_WAIT_0", "w" .. i .. ": STATUS_WAIT_0, got " .. tostring(r))
        expect(now() == ms(1), "w" .. i .. " woke at 1 ms, now=" .. now())
        woke = woke + 1
    end }
end

thread { name = "late", system = true, start_at = ms(2), body = function()
    local r = KeWaitForSingleObject(e, {})
    expect(r == "STATUS_WAIT_0" and now() == ms(2), "the event stayed signaled: immediate STATUS_WAIT_0")
    expect(KeResetEvent(e) == 1, "KeResetEvent returns the previous state 1")
    expect(KeResetEvent(e) == 0, "KeResetEvent returns 0 on a reset event")
    r = KeWaitForSingleObject(e, { timeout = ms(1) })
    expect(r == "STATUS_TIMEOUT", "after the reset the wait blocks and times out, got " .. tostring(r))
end }

at(ms(1), function()
    expect(KeSetEvent(e, 0) == 0, "first set: previous state 0")
    expect(KeSetEvent(e, 0) == 1, "second set: previous state 1")
end)
at(us(1500), function() expect(woke == 3, "all three waiters woke, woke=" .. woke) end)
