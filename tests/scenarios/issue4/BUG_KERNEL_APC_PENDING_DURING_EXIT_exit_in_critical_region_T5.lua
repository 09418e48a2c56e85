-- Bugcheck KERNEL_APC_PENDING_DURING_EXIT: a thread that terminates itself inside a
-- critical region (SEMANTICS.md 1.H T5; rules T5, T1, R4).
--
-- T5: "PspExitThread order of events: bugcheck if attached; lower IRQL to PASSIVE;
-- bugcheck KERNEL_APC_PENDING_DURING_EXIT if CAD != 0; ..." T1: self-termination
-- calls PspExitThread directly.
machine { cpus = 1 }
expect_bugcheck("KERNEL_APC_PENDING_DURING_EXIT")

local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterCriticalRegion()
  expect(state(T1).KernelApcDisable == -1, "KAD = -1")
  PsTerminateThread(T1, 1)
  expect(false, "not reached")
end }
