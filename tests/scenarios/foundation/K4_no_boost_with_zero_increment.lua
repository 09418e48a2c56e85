-- K4_no_boost_with_zero_increment: an unwait with increment 0 gives no boost
-- (candidate = Base + 0 is not higher than Prio): the woken priority-8 thread
-- runs at 8. Rules: K4, K3.
local e = event { name = "e" }
local p = nil

thread { name = "t", system = true, priority = 8, body = function()
    KeWaitForSingleObject(e, {})
    p = state(current_thread()).priority
end }

at(ms(1), function() KeSetEvent(e, 0) end)
at(ms(2), function() expect(p == 8, "no boost with increment 0, got " .. tostring(p)) end)
