-- R3_bugcheck_lower_irql_above_current: KeLowerIrql to a level above the current IRQL
-- ("lowering" upward) is a bugcheck, IRQL_NOT_LESS_OR_EQUAL (as the HAL's
-- KfLowerIrql check does). Rules: R3; API bugchecks ("lowering IRQL upward").
expect_bugcheck("IRQL_NOT_LESS_OR_EQUAL")

thread { name = "k", system = true, body = function()
    KeRaiseIrql(APC_LEVEL)
    KeLowerIrql(DISPATCH_LEVEL)
    expect(false, "not reached")
end }
