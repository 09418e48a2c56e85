-- I1: KeInsertQueueApc is callable at IRQL <= DISPATCH_LEVEL; from a DPC
-- (DISPATCH_LEVEL) it works, above DISPATCH_LEVEL it is a kernel bug.
machine { cpus = 1 }
expect_bugcheck("IRQL_NOT_LESS_OR_EQUAL")
local T
T = thread { name = "T", system = true, body = function()
  KeDelayExecutionThread("KernelMode", false, ms(2))
  KeRaiseIrql(HIGH_LEVEL)
  local a = KeInitializeApc { thread = T, name = "A" }
  KeInsertQueueApc(a)                          -- bugcheck here
  expect(false, "not reached")
end }
at(ms(1), function()
  local a = KeInitializeApc { thread = T, name = "FromDpc" }
  expect(KeInsertQueueApc(a) == true, "I1: insertion at DISPATCH_LEVEL works")
end)
