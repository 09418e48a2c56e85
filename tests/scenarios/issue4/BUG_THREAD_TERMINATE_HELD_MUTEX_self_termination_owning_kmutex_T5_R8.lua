-- Bugcheck THREAD_TERMINATE_HELD_MUTEX: a thread that terminates itself while it
-- owns a KMUTEX (SEMANTICS.md 1.H T5; rules T5, T1, R8, R4).
--
-- T5: "...; bugcheck KERNEL_APC_PENDING_DURING_EXIT if CAD != 0; ...; KeRundownThread
-- (owned mutants become abandoned ...; an owned kernel mutex -> bugcheck
-- THREAD_TERMINATE_HELD_MUTEX)". R8: owning a KMUTEX is an implicit critical region
-- (KAD -1). The CAD check comes first, so to reach KeRundownThread the implicit
-- region is balanced with an extra KeLeaveCriticalRegion (KAD back to 0) - as in
-- tests/scenarios/foundation/T5_bugcheck_exit_holding_kmutex_outside_region.lua,
-- here through PsTerminateThread on itself (T1) instead of a returning body.
machine { cpus = 1 }
expect_bugcheck("THREAD_TERMINATE_HELD_MUTEX")

local mx = mutex { name = "mx" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  expect(KeWaitForSingleObject(mx, {}) == "STATUS_WAIT_0", "mx acquired")
  expect(state(T1).KernelApcDisable == -1, "R8: KAD -1 while mx is owned")
  KeLeaveCriticalRegion()
  expect(state(T1).KernelApcDisable == 0, "CAD balanced to 0")
  PsTerminateThread(T1, 0)
  expect(false, "not reached")
end }
