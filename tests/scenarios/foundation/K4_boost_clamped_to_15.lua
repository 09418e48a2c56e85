-- K4_boost_clamped_to_15: a dynamic thread's unwait boost is clamped to 15:
-- a priority-12 thread woken with increment 6 runs at 15, not 18 (real-time
-- range 16-31 is never reached by a boost). Rules: K4.
local e = event { name = "e" }
local p = nil

thread { name = "t", system = true, priority = 12, body = function()
    KeWaitForSingleObject(e, {})
    p = state(current_thread()).priority
end }

at(ms(1), function() KeSetEvent(e, 6) end)
at(ms(2), function() expect(p == 15, "boost clamped to 15, got " .. tostring(p)) end)
