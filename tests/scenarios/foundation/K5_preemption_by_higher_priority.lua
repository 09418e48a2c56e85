-- K5_preemption_by_higher_priority: a higher-priority thread readied at 2 ms
-- (start_at) preempts the running lower-priority thread at once: it starts at
-- exactly 2 ms while the low thread is Ready (preempted), and the low thread's
-- 10 ms of work finish 1 ms late, at 11 ms. Rules: K5, K1.
local low_end = nil

local low = thread { name = "low", priority = 8, body = function()
    compute(ms(10))
    low_end = now()
end }

thread { name = "high", priority = 12, start_at = ms(2), body = function()
    expect(now() == ms(2), "high starts at once, at 2 ms, now=" .. now())
    expect(state(low).state == "Ready", "low was preempted (Ready), state=" .. state(low).state)
    expect(low_end == nil, "low has not finished")
    compute(ms(1))
end }

at(ms(12), function()
    expect(low_end == ms(11), "low finishes at 11 ms (10 ms work + 1 ms preempted), got " .. tostring(low_end))
end)
