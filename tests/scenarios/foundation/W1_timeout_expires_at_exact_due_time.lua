-- W1_timeout_expires_at_exact_due_time: a relative timeout counts from the
-- moment of the wait and, with the default (exact) timer resolution, expires
-- at exactly that nanosecond: STATUS_TIMEOUT for a single and a multiple wait.
-- Rules: W1 (step 4), W3 (timer -> STATUS_TIMEOUT); API "Timers".
local e = event { name = "never" }
local f = event { name = "never2" }
local done = false

thread { name = "waiter", system = true, body = function()
    compute(us(250))
    local t0 = now()
    local r = KeWaitForSingleObject(e, { timeout = ms(3) })
    expect(r == "STATUS_TIMEOUT", "single wait times out, got " .. tostring(r))
    expect(now() == t0 + ms(3), "expires at exactly t0 + 3 ms, now=" .. now())
    t0 = now()
    r = KeWaitForMultipleObjects({ e, f }, "WaitAny", { timeout = ns(1234567) })
    expect(r == "STATUS_TIMEOUT", "multiple wait times out, got " .. tostring(r))
    expect(now() == t0 + 1234567, "expires at exactly t0 + 1234567 ns, now=" .. now())
    expect(math.type(now()) == "integer", "now() is an integer")
    done = true
end }

at(ms(10), function() expect(done, "the waiter finished") end)
