-- KeLowerIrql to a higher level.
-- expect-exit: 4
-- expect-stderr: IRQL_NOT_LESS_OR_EQUAL
machine { cpus = 1 }
thread { name = "T", system = true, body = function() KeLowerIrql(DISPATCH_LEVEL) end }
