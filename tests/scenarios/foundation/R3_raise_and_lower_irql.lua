-- R3_raise_and_lower_irql: KeRaiseIrql returns the old IRQL and sets the new
-- one; KeLowerIrql restores it; current_irql() and state(t).irql follow, as
-- integers. Rules: R3, R7 (KeAreAllApcsDisabled is true at >= APC_LEVEL).
local done = false

thread { name = "k", system = true, body = function()
    local me = current_thread()
    expect(current_irql() == PASSIVE_LEVEL and PASSIVE_LEVEL == 0, "starts at PASSIVE")
    local old = KeRaiseIrql(APC_LEVEL)
    expect(old == 0 and math.type(old) == "integer", "old IRQL 0, got " .. tostring(old))
    expect(current_irql() == 1 and state(me).irql == 1, "at APC_LEVEL")
    expect(KeAreAllApcsDisabled() == true, "APC_LEVEL disables all APCs")
    old = KeRaiseIrql(DISPATCH_LEVEL)
    expect(old == APC_LEVEL, "old IRQL 1, got " .. tostring(old))
    expect(current_irql() == 2 and state(me).irql == 2, "at DISPATCH_LEVEL")
    old = KeRaiseIrql(HIGH_LEVEL)
    expect(old == 2 and current_irql() == 31, "HIGH_LEVEL is 31")
    KeLowerIrql(DISPATCH_LEVEL)
    expect(current_irql() == 2, "back at DISPATCH")
    KeLowerIrql(APC_LEVEL)
    expect(current_irql() == 1, "back at APC")
    KeLowerIrql(PASSIVE_LEVEL)
    expect(current_irql() == 0 and state(me).irql == 0, "back at PASSIVE")
    expect(KeAreAllApcsDisabled() == false, "APCs enabled again")
    done = true
end }

at(ms(1), function() expect(done, "finished") end)
