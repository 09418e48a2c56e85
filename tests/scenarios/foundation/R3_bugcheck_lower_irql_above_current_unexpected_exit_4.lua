-- R3_bugcheck_lower_irql_above_current_unexpected_exit_4: KeLowerIrql(DISPATCH_LEVEL) from
-- PASSIVE_LEVEL without expect_bugcheck: exit 4 and the bugcheck name on
-- stderr. Rules: R3; API bugchecks, exit status 4.
-- expect-exit: 4
-- expect-stderr: IRQL_NOT_LESS_OR_EQUAL
thread { name = "k", system = true, body = function()
    KeLowerIrql(DISPATCH_LEVEL)
    expect(false, "not reached")
end }
