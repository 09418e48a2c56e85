-- K5_woken_higher_priority_thread_preempts_setter: a passive-level thread that
-- sets an event waking a higher-priority waiter is preempted before the next
-- statement after KeSetEvent (the readier is below DISPATCH: the switch
-- happens at the dispatcher exit). Rules: K5, K3, W3.
local e = event { name = "e" }
local log = {}

thread { name = "high", system = true, priority = 12, body = function()
    log[#log + 1] = "high waits"
    KeWaitForSingleObject(e, {})
    log[#log + 1] = "high woke"
end }

thread { name = "low", system = true, priority = 8, body = function()
    compute(ms(1))
    log[#log + 1] = "low sets"
    KeSetEvent(e, 0)
    log[#log + 1] = "low continues"
end }

at(ms(2), function()
    local s = table.concat(log, ", ")
    expect(s == "high waits, low sets, high woke, low continues", "order: " .. s)
end)
