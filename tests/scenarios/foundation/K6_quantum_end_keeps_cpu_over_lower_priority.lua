-- K6_quantum_end_keeps_cpu_over_lower_priority: at quantum end a thread gives
-- the CPU only to a ready thread of equal or higher priority; a lower-priority
-- ready thread waits until the higher one is done (50 ms, several quantum ends
-- later). Rules: K6, K1.
local low_start = nil

thread { name = "high", priority = 9, body = function() compute(ms(50)) end }
thread { name = "low", priority = 8, body = function() low_start = now() end }

at(ms(40), function()
    expect(tostring(current_thread()) == "high", "high still runs at 40 ms, got " .. tostring(current_thread()))
end)
at(ms(60), function()
    expect(low_start == ms(50), "low starts only when high ends at 50 ms, got " .. tostring(low_start))
end)
