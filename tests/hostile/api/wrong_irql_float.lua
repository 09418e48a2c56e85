-- A fractional IRQL.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_irql_float.lua:5: bad argument #1 to 'KeRaiseIrql' (number has no integer representation)
machine { cpus = 1 }
thread { name = "T", system = true, body = function() KeRaiseIrql(1.5) end }
