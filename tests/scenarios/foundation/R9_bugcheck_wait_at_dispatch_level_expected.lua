-- R9_bugcheck_wait_at_dispatch_level_expected: a thread that blocks in a wait at
-- DISPATCH_LEVEL breaks a kernel rule: the run ends in the simulated bugcheck
-- IRQL_NOT_LESS_OR_EQUAL; with expect_bugcheck naming it, that is the expected
-- outcome and the exit status is 0. Nothing after the wait runs.
-- Rules: R9, W1 (a blocking wait needs IRQL <= APC_LEVEL); API bugchecks.
expect_bugcheck("IRQL_NOT_LESS_OR_EQUAL")
local e = event { name = "e" }

thread { name = "k", system = true, body = function()
    KeRaiseIrql(DISPATCH_LEVEL)
    KeWaitForSingleObject(e, {})
    expect(false, "not reached: the wait bugchecks")
end }
