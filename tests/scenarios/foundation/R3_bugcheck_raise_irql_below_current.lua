-- R3_bugcheck_raise_irql_below_current: KeRaiseIrql to a level below the current IRQL
-- is a bugcheck, IRQL_NOT_GREATER_OR_EQUAL (as the HAL's KfRaiseIrql check).
-- Rules: R3; API bugchecks.
expect_bugcheck("IRQL_NOT_GREATER_OR_EQUAL")

thread { name = "k", system = true, body = function()
    KeRaiseIrql(DISPATCH_LEVEL)
    KeRaiseIrql(APC_LEVEL)
    expect(false, "not reached")
end }
