-- K1_start_at_readies_thread_at_given_time: thread{start_at = t} creates and
-- readies the thread at t: its body starts at exactly 3 ms on an idle CPU, and
-- a start_at thread is not running before its time. Rules: K1, K5; API
-- thread{start_at}.
local started = nil

local t = thread { name = "late", start_at = ms(3), body = function()
    started = now()
    expect(current_mode() == "UserMode", "a user thread starts in user mode")
    expect(current_irql() == PASSIVE_LEVEL, "at PASSIVE_LEVEL")
end }

at(ms(1), function() expect(started == nil, "not started at 1 ms") end)
at(ms(4), function()
    expect(started == ms(3), "started at exactly 3 ms, got " .. tostring(started))
    expect(state(t).state == "Terminated", "and has ended")
end)
