-- K6_round_robin_with_configured_tick_and_quantum: machine{clock_tick, quantum}
-- change the round robin period: with a 1 ms clock tick (3 units a tick) and a
-- quantum of 3 units, equal-priority threads alternate every tick.
-- Rules: K6; API machine{clock_tick, quantum}.
machine { cpus = 1, clock_tick = ms(1), quantum = 3 }
local starts = {}

local a = thread { name = "a", priority = 8, body = function() compute(ms(3)) end }
local b = thread { name = "b", priority = 8, body = function() starts.b = now(); compute(ms(3)) end }

at(us(500), function() expect(current_thread() == a, "a at 0.5 ms") end)
at(us(1500), function() expect(current_thread() == b, "b at 1.5 ms, got " .. tostring(current_thread())) end)
at(us(2500), function() expect(current_thread() == a, "a at 2.5 ms, got " .. tostring(current_thread())) end)
at(ms(10), function() expect(starts.b == ms(1), "b starts at the first tick, got " .. tostring(starts.b)) end)
