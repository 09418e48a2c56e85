-- R9_bugcheck_wait_at_dispatch_level_unexpected_exit_4: the same wait at DISPATCH_LEVEL
-- without expect_bugcheck: an unexpected bugcheck ends the run with exit
-- status 4 and the bugcheck name printed as a kernel debugger would.
-- Rules: R9, W1; API bugchecks, exit status 4.
-- expect-exit: 4
-- expect-stderr: IRQL_NOT_LESS_OR_EQUAL
local e = event { name = "e" }

thread { name = "k", system = true, body = function()
    KeRaiseIrql(DISPATCH_LEVEL)
    KeWaitForSingleObject(e, {})
    expect(false, "not reached: the wait bugchecks")
end }
