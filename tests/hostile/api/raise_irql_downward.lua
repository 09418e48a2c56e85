-- KeRaiseIrql to a lower level.
-- expect-exit: 4
-- expect-stderr: IRQL_NOT_GREATER_OR_EQUAL
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  KeRaiseIrql(DISPATCH_LEVEL)
  KeRaiseIrql(PASSIVE_LEVEL)
end }
