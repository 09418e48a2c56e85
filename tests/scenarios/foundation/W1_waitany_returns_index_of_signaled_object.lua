-- W1_waitany_returns_index_of_signaled_object: KeWaitForMultipleObjects WaitAny
-- returns STATUS_WAIT_n for the index n of the satisfiable object, without
-- blocking when it is already signaled (W1.2), and with the index of the object
-- that satisfied it when the thread had to block (W3). Rules: W1, W3.
local e0 = event { name = "e0" }
local e1 = event { name = "e1", signaled = true }
local e2 = event { name = "e2" }
local f0 = event { name = "f0" }
local f1 = event { name = "f1" }
local f2 = event { name = "f2" }
local done = false

thread { name = "waiter", system = true, body = function()
    local r = KeWaitForMultipleObjects({ e0, e1, e2 }, "WaitAny", {})
    expect(r == "STATUS_WAIT_1", "already signaled e1 gives STATUS_WAIT_1, got " .. tostring(r))
    expect(now() == 0, "no blocking when an object is already signaled")
    r = KeWaitForMultipleObjects({ f0, f1, f2 }, "WaitAny", {})
    expect(r == "STATUS_WAIT_2", "f2 signaled at 2 ms gives STATUS_WAIT_2, got " .. tostring(r))
    expect(now() == ms(2), "woken exactly when f2 is set, now=" .. now())
    done = true
end }

at(ms(2), function() KeSetEvent(f2, 0) end)
at(ms(3), function() expect(done, "the waiter finished") end)
