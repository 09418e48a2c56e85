-- R3_apc_level_thread_is_preemptible: APC_LEVEL blocks APC delivery but not
-- dispatching: a thread computing at APC_LEVEL is preempted by a
-- higher-priority thread at exactly 1 ms. IRQL is part of the thread's saved
-- context: the high thread runs at PASSIVE, and the low thread is still at
-- APC_LEVEL when it resumes. Rules: R3, K5.
local seen = {}

local low = thread { name = "low", system = true, priority = 8, body = function()
    KeRaiseIrql(APC_LEVEL)
    compute(ms(3))
    seen.low_irql = current_irql()
    seen.low_end = now()
    KeLowerIrql(PASSIVE_LEVEL)
end }

thread { name = "high", system = true, priority = 12, start_at = ms(1), body = function()
    seen.high_at = now()
    seen.high_irql = current_irql()
    compute(ms(1))
end }

at(ms(5), function()
    expect(seen.high_at == ms(1), "high preempts at 1 ms, got " .. tostring(seen.high_at))
    expect(seen.high_irql == 0, "high runs at PASSIVE, got " .. tostring(seen.high_irql))
    expect(seen.low_irql == 1, "low resumes at APC_LEVEL, got " .. tostring(seen.low_irql))
    expect(seen.low_end == ms(4), "low ends at 4 ms, got " .. tostring(seen.low_end))
end)
