-- R10_bugcheck_delay_in_dpc: a DPC (an at() callback, DISPATCH_LEVEL) that calls
-- KeDelayExecutionThread with a non-zero interval would have to switch away
-- from inside a DPC: the run ends in a bugcheck. apcsim reports it as real
-- Windows does for a wait inside a DPC routine, ATTEMPTED_SWITCH_FROM_DPC (b8).
-- Rules: R9, R10, W8; API bugchecks ("waiting at DISPATCH_LEVEL").
expect_bugcheck("ATTEMPTED_SWITCH_FROM_DPC")

thread { name = "worker", body = function() compute(ms(5)) end }

at(ms(1), function()
    KeDelayExecutionThread("KernelMode", false, ms(1))
    expect(false, "not reached")
end)
