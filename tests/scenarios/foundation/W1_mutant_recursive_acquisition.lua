-- W1_mutant_recursive_acquisition: the owner of a mutant may acquire it again
-- without blocking (recursion); another thread gets it only after the owner
-- released it as many times as it acquired it. KeReleaseMutant returns the
-- previous signal state (-1 while owned twice, 0 while owned once: 1 - count).
-- Rules: W1 (step 2: "mutant owned by caller counts"), W3.
local m = mutant { name = "m" }
local got = nil

local owner = thread { name = "owner", system = true, priority = 9, body = function()
    expect(KeWaitForSingleObject(m, {}) == "STATUS_WAIT_0", "first acquisition")
    expect(KeWaitForSingleObject(m, { timeout = 0 }) == "STATUS_WAIT_0", "recursive acquisition")
    expect(now() == 0, "no blocking")
    KeDelayExecutionThread("KernelMode", false, ms(1))
    local prev = KeReleaseMutant(m, 0)
    expect(prev == -1, "owned twice: previous state -1, got " .. tostring(prev))
    KeDelayExecutionThread("KernelMode", false, ms(1))
    expect(got == nil, "after one release the other thread still waits")
    prev = KeReleaseMutant(m, 0)
    expect(prev == 0, "owned once: previous state 0, got " .. tostring(prev))
end }

thread { name = "other", system = true, body = function()
    local r = KeWaitForSingleObject(m, {})
    expect(r == "STATUS_WAIT_0", "other acquires normally, got " .. tostring(r))
    got = now()
    expect(got == ms(2), "only after the second release, at 2 ms, now=" .. got)
end }

at(ms(3), function() expect(got ~= nil, "the other thread got the mutant") end)
