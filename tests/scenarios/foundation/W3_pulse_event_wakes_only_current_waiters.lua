-- W3_pulse_event_wakes_only_current_waiters: KePulseEvent on a notification
-- event wakes every thread waiting at that moment and leaves the event
-- non-signaled: a thread that starts waiting afterwards is not satisfied and
-- times out. KePulseEvent returns the previous state (0). Rules: W1, W3.
local e = event { name = "e" }
local woke = {}

for _, n in ipairs { "a", "b" } do
    thread { name = n, system = true, body = function()
        local r = KeWaitForSingleObject(e, {})
        expect(r == "STATUS_WAIT_0", n .. ": STATUS_WAIT_0, got " .. tostring(r))
        woke[#woke + 1] = n .. "@" .. now()
    end }
end

local late = thread { name = "late", system = true, start_at = ms(2), body = function()
    local r = KeWaitForSingleObject(e, { timeout = ms(1) })
    expect(r == "STATUS_TIMEOUT", "a later waiter is not satisfied, got " .. tostring(r))
    expect(now() == ms(3), "it times out at 3 ms, now=" .. now())
end }

at(ms(1), function()
    local prev = KePulseEvent(e)
    expect(prev == 0, "KePulseEvent returns the previous state 0, got " .. tostring(prev))
end)
at(us(1500), function()
    expect(table.concat(woke, ",") == "a@" .. ms(1) .. ",b@" .. ms(1), "both current waiters woke: " .. table.concat(woke, ","))
    expect(KeSetEvent(e, 0) == 0 and KeResetEvent(e) == 1, "the pulse left the event non-signaled")
end)
at(ms(4), function() expect(state(late).state == "Terminated", "late finished") end)
