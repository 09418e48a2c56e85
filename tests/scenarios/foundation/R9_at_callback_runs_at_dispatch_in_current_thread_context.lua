-- R9_at_callback_runs_at_dispatch_in_current_thread_context: an at() callback
-- is a DPC: it runs at DISPATCH_LEVEL (current_irql() == 2) in kernel mode, at
-- exactly its time, in the context of whatever thread the CPU was running (here
-- a user thread in the middle of compute(); later the idle thread); the
-- interrupted thread then continues in user mode at PASSIVE_LEVEL.
-- Rules: R9, R10; API "at() context".
local worker = thread { name = "worker", body = function()
    compute(ms(5))
    expect(current_irql() == PASSIVE_LEVEL and current_mode() == "UserMode", "worker back at PASSIVE in user mode")
end }
local ran = 0

at(ms(1), function()
    expect(current_irql() == DISPATCH_LEVEL and current_irql() == 2, "DISPATCH_LEVEL, got " .. tostring(current_irql()))
    expect(math.type(current_irql()) == "integer", "IRQL is an integer")
    expect(current_mode() == "KernelMode", "kernel mode, got " .. tostring(current_mode()))
    expect(now() == ms(1), "at exactly 1 ms, now=" .. now())
    expect(current_thread() == worker, "in the worker's context, got " .. tostring(current_thread()))
    expect(current_cpu() == 0, "on CPU 0")
    expect(state(worker).irql == 2, "the worker's CPU is at DISPATCH_LEVEL, state.irql=" .. tostring(state(worker).irql))
    ran = ran + 1
end)
at(ms(7), function()
    expect(current_irql() == 2, "DISPATCH_LEVEL")
    expect(tostring(current_thread()) == "Idle/0", "idle thread's context, got " .. tostring(current_thread()))
    ran = ran + 1
end)
at(ms(8), function() expect(ran == 2, "both callbacks ran") end)
