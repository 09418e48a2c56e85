-- Bugcheck KERNEL_APC_PENDING_DURING_EXIT: a kernel APC still queued when the
-- exiting thread flushes its kernel queue (SEMANTICS.md 1.H T5; rules T5, T1, D3,
-- D9).
--
-- T5: "... Then: enter critical region; Q = FALSE; KeForceResumeThread; leave
-- critical region (pending deliverable NKs, e.g. the suspend APC, run here); flush
-- the user queue ...; flush the kernel queue - must be empty, else bugcheck
-- KERNEL_APC_PENDING_DURING_EXIT". D3: an NK is not delivered while KAIP.
--
-- T1 queues NK N1 and NK N2 to itself at APC_LEVEL and lowers: N1's normal routine
-- (PASSIVE, KAIP = TRUE, D9) terminates T1 (T1: PspExitThread, never returns). CAD
-- is 0, so the first check passes; the leave-critical-region step cannot deliver N2
-- (KAIP is still TRUE: the exit happens inside N1's NR); N2 is left in the kernel
-- queue: bugcheck.
machine { cpus = 1 }
expect_bugcheck("KERNEL_APC_PENDING_DURING_EXIT")

local T1
T1 = thread { name = "T1", system = true, body = function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", normal_routine = function()
    local s = state(T1)
    expect(s.KernelApcInProgress and s.KernelApcDisable == 0 and table.concat(s.kernel_queue, " ") == "N2",
           "inside NR_N1: KAIP, KAD 0, N2 queued")
    PsTerminateThread(T1, 2)
    expect(false, "not reached")
  end }
  local N2 = KeInitializeApc { thread = T1, name = "N2", normal_routine = function()
    expect(false, "N2 never runs") end }
  KeRaiseIrql(APC_LEVEL)
  KeInsertQueueApc(N1)
  KeInsertQueueApc(N2)
  KeLowerIrql(PASSIVE_LEVEL)
  expect(false, "not reached")
end }
