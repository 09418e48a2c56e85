-- W8_delay_tick_resolution_rounds_up: with machine{timer_resolution = "tick"}
-- a KeDelayExecutionThread (and so Sleep) ends at the first clock tick at or
-- after its due time: a 20 ms delay from 0.3 ms (due 20.3 ms) ends on the tick
-- at 31.25 ms; a Sleep(1) from there ends at 46.875 ms. Rules: W8, W1; API
-- "Timers" ("a timeout, delay or timer expires at the first clock tick ...").
machine { cpus = 1, timer_resolution = "tick" }
local done = false

thread { name = "sleeper", system = true, body = function()
    compute(us(300))
    local r = KeDelayExecutionThread("KernelMode", false, ms(20))
    expect(r == "STATUS_SUCCESS", "delay, got " .. tostring(r))
    expect(now() == us(31250), "delay due 20.3 ms ends on the tick at 31.25 ms, now=" .. now())
    done = true
end }

thread { name = "win32", start_at = us(31250), body = function()
    Sleep(1)
    expect(now() == us(46875), "Sleep(1) from 31.25 ms ends on the tick at 46.875 ms, now=" .. now())
end }

at(ms(50), function() expect(done, "the sleeper finished") end)
