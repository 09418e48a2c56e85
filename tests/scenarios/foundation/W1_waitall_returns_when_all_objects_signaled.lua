-- W1_waitall_returns_when_all_objects_signaled: a WaitAll wait on two
-- synchronization events set at 1 ms and 2 ms is still blocked between the two
-- signals, returns STATUS_WAIT_0 at exactly 2 ms, and satisfies (resets) both
-- events. Rules: W1 (step 2, WaitAll), W3, W5.
local a = event { name = "a", type = "synchronization" }
local b = event { name = "b", type = "synchronization" }
local done = false

local waiter = thread { name = "waiter", system = true, body = function()
    local r = KeWaitForMultipleObjects({ a, b }, "WaitAll", {})
    expect(r == "STATUS_WAIT_0", "WaitAll returns STATUS_WAIT_0, got " .. tostring(r))
    expect(now() == ms(2), "returns when the last object is set, now=" .. now())
    expect(KeWaitForSingleObject(a, { timeout = 0 }) == "STATUS_TIMEOUT", "a was consumed")
    expect(KeWaitForSingleObject(b, { timeout = 0 }) == "STATUS_TIMEOUT", "b was consumed")
    done = true
end }

at(ms(1), function() KeSetEvent(a, 0) end)
at(us(1500), function()
    expect(state(waiter).state == "Waiting", "still waiting with only a signaled, state=" .. state(waiter).state)
end)
at(ms(2), function() KeSetEvent(b, 0) end)
at(ms(3), function() expect(done, "the waiter finished") end)
