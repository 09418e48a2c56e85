-- T5 order: a thread that terminates itself while owning a KMUTEX *without*
-- balancing the implicit critical region bugchecks KERNEL_APC_PENDING_DURING_EXIT,
-- not THREAD_TERMINATE_HELD_MUTEX (SEMANTICS.md 1.H T5; rules T5, T1, R8).
--
-- T5: "lower IRQL to PASSIVE; bugcheck KERNEL_APC_PENDING_DURING_EXIT if CAD != 0;
-- ... KeRundownThread (... an owned kernel mutex -> bugcheck
-- THREAD_TERMINATE_HELD_MUTEX)". R8: the owned KMUTEX keeps KAD at -1, so the CAD
-- check, which comes first, fires.
machine { cpus = 1 }
expect_bugcheck("KERNEL_APC_PENDING_DURING_EXIT")

local mx = mutex { name = "mx" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeWaitForSingleObject(mx, {})
  expect(state(T1).KernelApcDisable == -1, "R8: KAD -1")
  PsTerminateThread(T1, 0)
  expect(false, "not reached")
end }
