-- W8_delay_execution_returns_success: KeDelayExecutionThread waits on the
-- thread's built-in timer only; when it expires the call returns
-- STATUS_SUCCESS (not STATUS_TIMEOUT), at exactly the due time.
-- Rules: W8, W1 (step 4: a delay returns STATUS_SUCCESS instead of STATUS_TIMEOUT).
local done = false

local t = thread { name = "sleeper", system = true, body = function()
    compute(us(100))
    local r = KeDelayExecutionThread("KernelMode", false, ms(2))
    expect(r == "STATUS_SUCCESS", "a delay returns STATUS_SUCCESS, got " .. tostring(r))
    expect(now() == us(100) + ms(2), "at exactly the due time, now=" .. now())
    done = true
end }

at(ms(1), function()
    expect(state(t).state == "Waiting", "sleeping thread is Waiting, state=" .. state(t).state)
end)
at(ms(3), function() expect(done, "the sleeper finished") end)
