-- A wait at DISPATCH_LEVEL: a simulated bugcheck.
-- expect-exit: 4
-- expect-stderr: IRQL_NOT_LESS_OR_EQUAL
machine { cpus = 1 }
local e = event { name = "e" }
thread { name = "T", system = true, body = function()
  KeRaiseIrql(DISPATCH_LEVEL)
  KeWaitForSingleObject(e, { timeout = ms(1) })
end }
