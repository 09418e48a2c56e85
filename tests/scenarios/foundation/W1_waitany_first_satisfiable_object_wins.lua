-- W1_waitany_first_satisfiable_object_wins: with several objects satisfiable at
-- entry, WaitAny returns the lowest index and satisfies (consumes) only that
-- object: of two signaled synchronization events only the first is reset.
-- Rules: W1 (step 2, "first satisfiable object wins; satisfying it mutates it").
local a = event { name = "a", type = "synchronization" }
local b = event { name = "b", type = "synchronization", signaled = true }
local c = event { name = "c", type = "synchronization", signaled = true }

thread { name = "waiter", system = true, body = function()
    local r = KeWaitForMultipleObjects({ a, b, c }, "WaitAny", {})
    expect(r == "STATUS_WAIT_1", "b is the first satisfiable object, got " .. tostring(r))
    r = KeWaitForSingleObject(b, { timeout = 0 })
    expect(r == "STATUS_TIMEOUT", "b was consumed by the WaitAny, got " .. tostring(r))
    r = KeWaitForSingleObject(c, { timeout = 0 })
    expect(r == "STATUS_WAIT_0", "c was left signaled, got " .. tostring(r))
    expect(now() == 0, "nothing blocked")
end }
