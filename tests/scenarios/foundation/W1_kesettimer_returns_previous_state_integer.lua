-- W1_kesettimer_returns_previous_state_integer: SCENARIO_API lists KeSetTimer
-- among the calls that "each return the previous signal state as an integer"
-- (and "Types": states and counters are integers, only flags are booleans): on
-- a fresh timer it returns the integer 0. Setting an expired (signaled) timer
-- again resets it to non-signaled (NT KeSetTimer clears SignalState).
-- The value returned for an expired timer is not tested: NT's KeSetTimer
-- returns "was already in the timer queue" (FALSE there), the API table says
-- "previous signal state" (1); the two readings disagree.
-- Rules: W1; API (KeSet* return values, "Types").
local tm = timer { name = "tm" }
local done = false

thread { name = "k", system = true, body = function()
    local prev = KeSetTimer(tm, ms(1))
    expect(prev == 0 and math.type(prev) == "integer", "fresh timer: previous state integer 0, got " .. tostring(prev))
    done = true
end }

thread { name = "k2", system = true, start_at = ms(2), body = function()
    local t2 = timer { name = "t2" }
    KeSetTimer(t2, ms(1))
    KeWaitForSingleObject(t2, {})
    KeSetTimer(t2, ms(1))
    local r = KeWaitForSingleObject(t2, { timeout = 0 })
    expect(r == "STATUS_TIMEOUT", "setting an expired timer resets it, got " .. tostring(r))
end }

at(ms(5), function() expect(done, "finished") end)
