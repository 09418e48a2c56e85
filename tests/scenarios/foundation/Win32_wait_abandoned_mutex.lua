-- Win32_wait_abandoned_mutex: WaitForSingleObject on a mutant whose owner
-- ended while holding it returns "WAIT_ABANDONED" (STATUS_ABANDONED_WAIT_0),
-- and WaitForMultipleObjects with the abandoned mutant at index 0 too.
-- Rules: W1, T5; API (Win32 return values).
local m = mutant { name = "m" }
local m2 = mutant { name = "m2" }
local e = event { name = "e" }
local done = false

thread { name = "owner", priority = 9, body = function()
    expect(WaitForSingleObject(m, INFINITE) == "WAIT_OBJECT_0", "owner acquires m")
    expect(WaitForSingleObject(m2, INFINITE) == "WAIT_OBJECT_0", "owner acquires m2")
    Sleep(1)
end }

thread { name = "waiter", body = function()
    local r = WaitForSingleObject(m, INFINITE)
    expect(r == "WAIT_ABANDONED", "WaitForSingleObject: WAIT_ABANDONED, got " .. tostring(r))
    r = WaitForMultipleObjects({ m2, e }, false, INFINITE)
    expect(r == "WAIT_ABANDONED", "WaitForMultipleObjects: WAIT_ABANDONED, got " .. tostring(r))
    expect(ReleaseMutex(m) == true and ReleaseMutex(m2) == true, "ReleaseMutex returns TRUE")
    done = true
end }

at(ms(2), function() expect(done, "the waiter finished") end)
