-- Win32_alertable_wait_returns_wait_io_completion: WaitForSingleObjectEx(h,
-- INFINITE, TRUE) ended by a user APC (QueueUserAPC) returns
-- "WAIT_IO_COMPLETION" (STATUS_USER_APC) after the APC routine ran; the same
-- wait, non-alertable, is not ended by the APC and returns "WAIT_OBJECT_0"
-- when the object is set. Rules: W2, W3, W6 (row "Alertable, UserMode");
-- API Win32 return values.
local e = event { name = "e" }
local apc_ran = 0
local done = false

local w = thread { name = "waiter", body = function()
    local r = WaitForSingleObjectEx(e, INFINITE, true)
    expect(r == "WAIT_IO_COMPLETION", "alertable: WAIT_IO_COMPLETION, got " .. tostring(r))
    expect(apc_ran == 1 and now() == ms(1), "after the APC ran at 1 ms")
    r = WaitForSingleObject(e, INFINITE)
    expect(r == "WAIT_OBJECT_0", "non-alertable: WAIT_OBJECT_0, got " .. tostring(r))
    expect(now() == ms(3), "when e is set at 3 ms, now=" .. now())
    done = true
end }

at(ms(1), function()
    expect(QueueUserAPC(function(ctx) apc_ran = apc_ran + 1 end, w, "x") == true, "QueueUserAPC returns TRUE")
end)
at(ms(2), function()
    expect(QueueUserAPC(function(ctx) apc_ran = apc_ran + 1 end, w, "y") == true, "second APC queued")
end)
at(ms(3), function()
    expect(apc_ran == 1, "the second APC did not interrupt the non-alertable wait")
    KeSetEvent(e, 0)
end)
at(ms(4), function() expect(done, "waiter finished") end)
