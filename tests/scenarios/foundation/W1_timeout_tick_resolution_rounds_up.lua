-- W1_timeout_tick_resolution_rounds_up: with machine{timer_resolution = "tick"}
-- a wait timeout expires at the first clock tick at or after its due time:
-- 1 ms from 0.3 ms ends at 15.625 ms; a timeout due exactly on a tick
-- (15.625 ms from 15.625 ms) expires on that tick, 31.25 ms.
-- Rules: W1 (step 4), W3; API "Timers".
machine { cpus = 1, timer_resolution = "tick" }
local never = event { name = "never" }
local done = false

thread { name = "waiter", system = true, body = function()
    compute(us(300))
    local r = KeWaitForSingleObject(never, { timeout = ms(1) })
    expect(r == "STATUS_TIMEOUT", "timeout, got " .. tostring(r))
    expect(now() == us(15625), "due 1.3 ms expires on the tick at 15.625 ms, now=" .. now())
    r = KeWaitForSingleObject(never, { timeout = us(15625) })
    expect(r == "STATUS_TIMEOUT", "timeout, got " .. tostring(r))
    expect(now() == us(31250), "a due time on a tick expires on that tick, now=" .. now())
    done = true
end }

at(ms(40), function() expect(done, "the waiter finished") end)
