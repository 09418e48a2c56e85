-- R10_dpc_queued_at_dispatch_runs_when_irql_drops: a DPC queued
-- (KeInsertQueueDpc) by a thread running at DISPATCH_LEVEL cannot run until the
-- CPU's IRQL drops below DISPATCH: it runs inside KeLowerIrql (before the call
-- returns), at DISPATCH_LEVEL, in the context of the queuing thread.
-- Rules: R10, R1, R3.
local ran_at, ran_irql, ran_ctx = nil, nil, nil
local done = false

thread { name = "k", system = true, body = function()
    KeRaiseIrql(DISPATCH_LEVEL)
    KeInsertQueueDpc(function()
        ran_at, ran_irql, ran_ctx = now(), current_irql(), tostring(current_thread())
    end, 0)
    compute(ms(1))
    expect(ran_at == nil, "the DPC has not run while at DISPATCH_LEVEL")
    KeLowerIrql(APC_LEVEL)
    expect(ran_at == ms(1), "it ran when IRQL dropped below DISPATCH, at 1 ms, got " .. tostring(ran_at))
    expect(ran_irql == 2, "at DISPATCH_LEVEL, got " .. tostring(ran_irql))
    expect(ran_ctx == "k", "in the context of k, got " .. tostring(ran_ctx))
    KeLowerIrql(PASSIVE_LEVEL)
    done = true
end }

at(ms(2), function() expect(done, "finished") end)
