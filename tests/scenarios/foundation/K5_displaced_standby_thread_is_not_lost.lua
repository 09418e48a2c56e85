-- K5_displaced_standby_thread_is_not_lost: when a thread is readied with a
-- priority above the CPU's standby thread, it becomes the standby thread and
-- the displaced one goes back to the ready queue (K5, K1): both run. Here the
-- priority-8 thread is created first (it becomes standby on the idle CPU) and
-- the priority-9 one second; the high one runs first, the low one when the
-- high one blocks. Rules: K5, K1.
local ran = {}

local low = thread { name = "low", priority = 8, body = function()
    ran.low = now()
end }
local high = thread { name = "high", priority = 9, body = function()
    ran.high = now()
    Sleep(1)
end }

at(us(500), function()
    expect(ran.high == 0, "high ran first, at 0")
    expect(ran.low == 0, "low ran when high slept, at 0, got " .. tostring(ran.low) .. ", state=" .. state(low).state)
end)
