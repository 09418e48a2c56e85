-- An IRQL above HIGH_LEVEL.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_irql_range.lua:5: IRQL 99 out of range 0..31
machine { cpus = 1 }
thread { name = "T", system = true, body = function() KeRaiseIrql(99) end }
