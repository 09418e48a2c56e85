-- Win32_wait_for_single_object_results: WaitForSingleObject(Ex) returns
-- "WAIT_TIMEOUT" when the milliseconds run out (at exactly that time),
-- "WAIT_OBJECT_0" when the object is signaled (blocking until then, or at once
-- with 0 ms), and INFINITE waits without a timeout. Rules: W1, W3; API Win32.
local e = event { name = "e" }
local done = false

thread { name = "waiter", body = function()
    local r = WaitForSingleObject(e, 1)
    expect(r == "WAIT_TIMEOUT", "1 ms: WAIT_TIMEOUT, got " .. tostring(r))
    expect(now() == ms(1), "at exactly 1 ms, now=" .. now())
    r = WaitForSingleObjectEx(e, 0, false)
    expect(r == "WAIT_TIMEOUT", "0 ms on a reset event: WAIT_TIMEOUT, got " .. tostring(r))
    r = WaitForSingleObject(e, INFINITE)
    expect(r == "WAIT_OBJECT_0", "INFINITE: WAIT_OBJECT_0, got " .. tostring(r))
    expect(now() == ms(30), "when e is set at 30 ms, now=" .. now())
    r = WaitForSingleObjectEx(e, 0, true)
    expect(r == "WAIT_OBJECT_0", "0 ms on a signaled event: WAIT_OBJECT_0, got " .. tostring(r))
    expect(ResetEvent(e) == true, "ResetEvent returns TRUE")
    expect(SetEvent(e) == true, "SetEvent returns TRUE")
    expect(WaitForSingleObject(e, 5) == "WAIT_OBJECT_0", "set again")
    done = true
end }

at(ms(30), function() KeSetEvent(e, 0) end)
at(ms(40), function() expect(done, "waiter finished") end)
