-- W1_timer_resolution_tick_rounds_up: with machine{timer_resolution = "tick"}
-- a timer expires at the first clock tick at or after its due time (clock tick
-- 15.625 ms by default): a 5 ms timer set at 0.3 ms (due 5.3 ms) is signaled at
-- 15.625 ms. Rules: W1, W3; API "Timers".
machine { cpus = 1, timer_resolution = "tick" }
local tm = timer { name = "tm" }
local done = false

thread { name = "waiter", system = true, body = function()
    compute(us(300))
    KeSetTimer(tm, ms(5))
    local r = KeWaitForSingleObject(tm, {})
    expect(r == "STATUS_WAIT_0", "timer wait, got " .. tostring(r))
    expect(now() == us(15625), "timer fires on the first tick, 15.625 ms, now=" .. now())
    done = true
end }

at(ms(20), function() expect(done, "the waiter finished") end)
