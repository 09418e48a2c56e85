-- K5_equal_priority_start_does_not_preempt: a thread readied (start_at) at the
-- same priority as the running thread does not preempt it (K5 needs a strictly
-- higher priority); it waits in the ready queue until the running thread
-- blocks at 5 ms. Rules: K5, K1.
local started = nil

thread { name = "runner", priority = 8, body = function()
    compute(ms(5))
    Sleep(10)
end }

thread { name = "late", priority = 8, start_at = ms(1), body = function()
    started = now()
end }

at(ms(2), function()
    expect(tostring(current_thread()) == "runner", "runner keeps the CPU, got " .. tostring(current_thread()))
end)
at(ms(6), function()
    expect(started == ms(5), "late starts when runner blocks at 5 ms, got " .. tostring(started))
end)
