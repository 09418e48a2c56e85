-- K5_displaced_standby_after_unwait_is_not_lost: one DPC wakes a priority-8
-- waiter (it becomes the idle CPU's standby thread) and then a priority-9
-- waiter, which takes the standby slot (K5); the displaced priority-8 thread
-- must go back to the ready queue (K1) and run once the priority-9 one is
-- done. Rules: K5, K1, K3.
local e_low = event { name = "e_low" }
local e_high = event { name = "e_high" }
local ran = {}

local high = thread { name = "high", system = true, priority = 9, body = function()
    KeWaitForSingleObject(e_high, {})
    ran.high = now()
end }
local low = thread { name = "low", system = true, priority = 8, body = function()
    KeWaitForSingleObject(e_low, {})
    ran.low = now()
end }

at(ms(1), function()
    KeSetEvent(e_low, 0)
    KeSetEvent(e_high, 0)
end)
at(ms(2), function()
    expect(ran.high == ms(1), "high ran at 1 ms, got " .. tostring(ran.high))
    expect(ran.low == ms(1), "low ran right after high, at 1 ms, got " .. tostring(ran.low) .. ", state=" .. state(low).state)
end)
