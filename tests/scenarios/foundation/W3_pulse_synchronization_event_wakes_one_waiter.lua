-- W3_pulse_synchronization_event_wakes_one_waiter: KePulseEvent on a
-- synchronization event satisfies one waiter (the first in the wait list) and
-- leaves the event non-signaled; the other waiter keeps waiting.
-- Rules: W1, W3, K3b.
local e = event { name = "e", type = "synchronization" }
local woke = {}

local a = thread { name = "a", system = true, body = function()
    KeWaitForSingleObject(e, {})
    woke[#woke + 1] = "a"
end }
local b = thread { name = "b", system = true, start_at = us(10), body = function()
    KeWaitForSingleObject(e, {})
    woke[#woke + 1] = "b"
end }

at(ms(1), function() KePulseEvent(e) end)
at(ms(2), function()
    expect(table.concat(woke, ",") == "a", "only the first waiter woke: " .. table.concat(woke, ","))
    expect(state(b).state == "Waiting", "b still waits")
    expect(KeResetEvent(e) == 0, "the event is non-signaled after the pulse")
end)
