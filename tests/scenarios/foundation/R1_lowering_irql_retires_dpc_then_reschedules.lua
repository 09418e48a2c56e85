-- R1_lowering_irql_retires_dpc_then_reschedules: lowering from DISPATCH to
-- PASSIVE services the pending DISPATCH request first: the queued DPC runs,
-- it sets an event that readies a higher-priority waiter, and the resulting
-- reschedule switches to that waiter before KeLowerIrql returns to the caller.
-- Rules: R1, R10, K5.
local e = event { name = "e" }
local log = {}

thread { name = "high", system = true, priority = 12, body = function()
    KeWaitForSingleObject(e, {})
    log[#log + 1] = "high"
end }

thread { name = "low", system = true, priority = 8, body = function()
    KeRaiseIrql(DISPATCH_LEVEL)
    KeInsertQueueDpc(function() log[#log + 1] = "dpc"; KeSetEvent(e, 0) end, 0)
    log[#log + 1] = "queued"
    KeLowerIrql(PASSIVE_LEVEL)
    log[#log + 1] = "low"
end }

at(ms(1), function()
    local s = table.concat(log, ",")
    expect(s == "queued,dpc,high,low", "order: " .. s)
end)
