-- A thread preempted while at APC_LEVEL (fast mutex held) is Ready; an SK is queued to it.
-- K2: switched out at IRQL >= APC_LEVEL -> only an APC interrupt is requested when it is
-- switched in; the SK runs when it lowers to PASSIVE, not when it is switched in.
machine { cpus = 1 }
local T1
T1 = thread { name = "T1", system = true, priority = 8, body = function()
  KeRaiseIrql(APC_LEVEL)
  mark("T1 at APC_LEVEL")
  compute(us(100))
  mark("T1 lowering")
  KeLowerIrql(PASSIVE_LEVEL)
  mark("T1 at PASSIVE")
end }
thread { name = "T2", system = true, priority = 12, start_at = us(20), body = function()
  compute(us(50))
end }
at(us(30), function()
  local S1 = KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() mark("KR_S1") end }
  expect(KeInsertQueueApc(S1), "inserted")
end)
