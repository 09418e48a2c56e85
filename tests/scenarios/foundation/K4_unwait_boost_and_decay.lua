-- K4_unwait_boost_and_decay: KeSetEvent(e, 2) wakes a priority-8 dynamic
-- thread at priority 10 (Base + Increment; PrioDec stays 0) and its quantum is
-- reset and charged one unit (6 - 1 = 5). While it computes, each quantum end
-- lowers the priority by PrioDec + 1 = 1, never below the base: ticks at
-- 15.625 ms (5 -> 2) and 31.25 ms (2 -> -1: quantum end, 10 -> 9, reset to 6),
-- 46.875 ms (6 -> 3), 62.5 ms (3 -> 0: 9 -> 8), then it stays at 8.
-- Rules: K4, K6, K3.
local e = event { name = "e" }
local prio_at_wake = nil

local t = thread { name = "t", system = true, priority = 8, body = function()
    KeWaitForSingleObject(e, {})
    prio_at_wake = state(current_thread()).priority
    compute(ms(150))
end }

at(ms(1), function() KeSetEvent(e, 2) end)
local function prio_is(when, want)
    at(when, function()
        local s = state(t)
        expect(s.priority == want, when .. " ns: priority " .. want .. ", got " .. tostring(s.priority))
        expect(s.base_priority == 8, "base stays 8, got " .. tostring(s.base_priority))
    end)
end
prio_is(us(1500), 10)
prio_is(ms(20), 10)
prio_is(ms(40), 9)
prio_is(ms(55), 9)
prio_is(ms(70), 8)
prio_is(ms(140), 8)
at(ms(2), function()
    expect(prio_at_wake == 10 and math.type(prio_at_wake) == "integer", "woken at priority 10, got " .. tostring(prio_at_wake))
end)
