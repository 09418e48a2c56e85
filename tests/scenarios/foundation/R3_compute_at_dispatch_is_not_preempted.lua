-- R3_compute_at_dispatch_is_not_preempted: code running at DISPATCH_LEVEL is
-- not preempted and holds off DPCs: a higher-priority thread readied at 1 ms
-- and an at() DPC due at 2 ms both wait until the thread lowers its IRQL at
-- 5 ms; then the DPC runs first, then the switch to the high thread (R1).
-- Clock ticks do not switch either (quantum end is dispatch work).
-- Rules: R3, R1, R10, K5.
local log = {}

local low = thread { name = "low", system = true, priority = 8, body = function()
    KeRaiseIrql(DISPATCH_LEVEL)
    compute(ms(5))
    log[#log + 1] = "lower@" .. now()
    KeLowerIrql(PASSIVE_LEVEL)
    log[#log + 1] = "low@" .. now()
end }

thread { name = "high", system = true, priority = 12, start_at = ms(1), body = function()
    log[#log + 1] = "high@" .. now()
end }

at(ms(2), function()
    log[#log + 1] = "dpc@" .. now()
    expect(current_thread() == low, "the DPC runs in low's context")
end)
at(ms(6), function()
    local s = table.concat(log, ",")
    local m5 = tostring(ms(5))
    expect(s == "lower@" .. m5 .. ",dpc@" .. m5 .. ",high@" .. m5 .. ",low@" .. m5, "order and times: " .. s)
end)
