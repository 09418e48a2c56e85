-- Win32_wait_for_multiple_objects_results: WaitForMultipleObjects returns
-- "WAIT_OBJECT_0+n" for the index n that satisfied a wait-any ("WAIT_OBJECT_0"
-- for index 0), "WAIT_OBJECT_0" for a satisfied wait-all and "WAIT_TIMEOUT"
-- when the time runs out. Rules: W1, W3; API Win32 return values.
local e0 = event { name = "e0" }
local e1 = event { name = "e1" }
local e2 = event { name = "e2" }
local done = false

thread { name = "waiter", body = function()
    local r = WaitForMultipleObjects({ e0, e1, e2 }, false, INFINITE)
    expect(r == "WAIT_OBJECT_0+1", "e1 set: WAIT_OBJECT_0+1, got " .. tostring(r))
    expect(now() == ms(1), "at 1 ms, now=" .. now())
    r = WaitForMultipleObjects({ e0, e1 }, true, 2)
    expect(r == "WAIT_TIMEOUT", "wait-all with e0 reset: WAIT_TIMEOUT, got " .. tostring(r))
    expect(now() == ms(3), "after 2 ms, now=" .. now())
    r = WaitForMultipleObjects({ e0, e1 }, true, INFINITE)
    expect(r == "WAIT_OBJECT_0", "wait-all when e0 is set too: WAIT_OBJECT_0, got " .. tostring(r))
    expect(now() == ms(5), "at 5 ms, now=" .. now())
    r = WaitForMultipleObjectsEx({ e2, e0 }, false, 0, false)
    expect(r == "WAIT_OBJECT_0+1", "0 ms, e0 signaled at index 1: WAIT_OBJECT_0+1, got " .. tostring(r))
    r = WaitForMultipleObjects({ e0, e2 }, false, 0)
    expect(r == "WAIT_OBJECT_0", "index 0: WAIT_OBJECT_0, got " .. tostring(r))
    done = true
end }

at(ms(1), function() KeSetEvent(e1, 0) end)
at(ms(5), function() KeSetEvent(e0, 0) end)
at(ms(6), function() expect(done, "waiter finished") end)
