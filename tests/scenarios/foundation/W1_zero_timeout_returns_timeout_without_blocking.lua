-- W1_zero_timeout_returns_timeout_without_blocking: a zero timeout tests the
-- object and returns STATUS_TIMEOUT at once (W1 step 4) when it is not
-- signaled, or STATUS_WAIT_0 when it is; the thread never blocks, so an
-- equal-priority ready thread does not get the CPU, and no time passes.
-- Rules: W1 (steps 2, 4).
local e = event { name = "e" }
local s = event { name = "s", signaled = true }
local other_ran = false
local done = false

thread { name = "tester", system = true, body = function()
    local r = KeWaitForSingleObject(e, { timeout = 0 })
    expect(r == "STATUS_TIMEOUT", "zero timeout on a non-signaled event, got " .. tostring(r))
    r = KeWaitForMultipleObjects({ e, s }, "WaitAny", { timeout = 0 })
    expect(r == "STATUS_WAIT_1", "zero timeout WaitAny with s signaled, got " .. tostring(r))
    r = KeWaitForSingleObject(s, { timeout = 0 })
    expect(r == "STATUS_WAIT_0", "zero timeout on a signaled event, got " .. tostring(r))
    expect(now() == 0, "no time passed, now=" .. now())
    expect(not other_ran, "the thread never blocked: the other thread has not run")
    done = true
end }

thread { name = "other", system = true, body = function()
    other_ran = true
    expect(done, "the tester finished before the other thread ran")
end }
