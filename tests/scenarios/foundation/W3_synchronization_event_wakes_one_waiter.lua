-- W3_synchronization_event_wakes_one_waiter: setting a synchronization
-- (auto-reset) event with two waiters wakes only the first waiter (wait-list
-- order) and leaves the event non-signaled; the second waiter stays Waiting
-- until the next set. KeSetEvent returns the previous signal state (0).
-- Rules: W1, W3, K3b; API (KeSetEvent returns the previous state as an integer).
local e = event { name = "e", type = "synchronization" }
local woke = {}

local a = thread { name = "a", system = true, body = function()
    local r = KeWaitForSingleObject(e, {})
    expect(r == "STATUS_WAIT_0", "a: STATUS_WAIT_0, got " .. tostring(r))
    woke[#woke + 1] = "a@" .. now()
end }
local b = thread { name = "b", system = true, start_at = us(10), body = function()
    local r = KeWaitForSingleObject(e, {})
    expect(r == "STATUS_WAIT_0", "b: STATUS_WAIT_0, got " .. tostring(r))
    woke[#woke + 1] = "b@" .. now()
end }

at(ms(1), function()
    local prev = KeSetEvent(e, 0)
    expect(prev == 0 and math.type(prev) == "integer", "previous state 0, got " .. tostring(prev))
end)
at(ms(2), function()
    expect(#woke == 1 and woke[1] == "a@" .. ms(1), "only a woke, at 1 ms: " .. table.concat(woke, ","))
    expect(state(b).state == "Waiting", "b still waits, state=" .. state(b).state)
    local prev = KeSetEvent(e, 0)
    expect(prev == 0, "a consumed the first set: previous state 0, got " .. tostring(prev))
end)
at(ms(3), function()
    expect(table.concat(woke, ",") == "a@" .. ms(1) .. ",b@" .. ms(2), "b woke at 2 ms: " .. table.concat(woke, ","))
    expect(KeSetEvent(e, 0) == 0, "b consumed the second set")
    expect(KeSetEvent(e, 0) == 1, "no waiter: the event stays signaled")
end)
