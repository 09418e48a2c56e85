-- Win32_sleep_and_sleepex: Sleep(ms) returns after exactly ms milliseconds
-- (NtDelayExecution underneath); SleepEx(ms, false) returns 0; SleepEx(0,
-- false) returns 0 without time passing; the thread is Waiting (wait reason
-- UserRequest) while it sleeps. Rules: W8, W1; API Win32 layer.
local done = false

local t = thread { name = "sleeper", body = function()
    compute(us(100))
    local r = Sleep(5)
    expect(now() == us(100) + ms(5), "Sleep(5) lasts 5 ms, now=" .. now())
    r = SleepEx(3, false)
    expect(r == 0 and math.type(r) == "integer", "SleepEx returns 0, got " .. tostring(r))
    expect(now() == us(100) + ms(8), "SleepEx(3) lasts 3 ms, now=" .. now())
    local t0 = now()
    r = SleepEx(0, false)
    expect(r == 0, "SleepEx(0) returns 0, got " .. tostring(r))
    expect(now() == t0, "SleepEx(0) takes no time")
    done = true
end }

at(ms(2), function()
    local s = state(t)
    expect(s.state == "Waiting", "sleeping: Waiting, got " .. s.state)
    expect(s.wait_reason == "UserRequest", "wait reason UserRequest, got " .. tostring(s.wait_reason))
end)
at(ms(10), function() expect(done, "sleeper finished") end)
