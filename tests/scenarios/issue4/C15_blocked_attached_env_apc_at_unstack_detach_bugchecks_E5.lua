-- C15 - Undeliverable APC in the attached environment at detach
-- (SEMANTICS.md 2, C15; rules E5, R4, I8).
--
-- Case: "T1 attached via KeStackAttachProcess, KAD = -1; T2 inserts NK N1 with env 1
-- (blocked). T1 calls KeUnstackDetachProcess. Expected: bugcheck
-- INVALID_PROCESS_DETACH_ATTEMPT (0x6)." E5: "if KAIP, or the attached kernel list
-- or user list is non-empty -> bugcheck INVALID_PROCESS_DETACH_ATTEMPT
-- (KeUnstackDetachProcess: always ...)".
--
-- The steps before the bugcheck are checked: N1's insertion sets KAP and sends the
-- IPI (I8), the APC interrupt's KiDeliverApc clears KAP and stops at the blocked NK
-- (D2, D3), N1 stays in P2's kernel list. The pre-delivery loop of E5 does not run
-- (KAP is FALSE), the leftover check fires.
machine { cpus = 2 }
expect_bugcheck("INVALID_PROCESS_DETACH_ATTEMPT")

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local ran = false

local T1
T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  local B = KeStackAttachProcess(P2)
  KeEnterCriticalRegion()
  compute(us(100))                                   -- N1 arrives at 50 us
  local s = state(T1)
  expect(s.KernelApcDisable == -1 and s.ApcStateIndex == 1 and s.process == "P2", "attached, KAD = -1")
  expect(table.concat(s.kernel_queue, " ") == "N1" and s.KernelApcPending == false and not ran,
         "N1 blocked in P2's kernel list; KAP cleared by the interrupt's KiDeliverApc (D2, D3)")
  KeUnstackDetachProcess(B)
  expect(false, "not reached: E5 bugchecks")
end }

at(us(50), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
    kernel_routine = function() ran = true end, normal_routine = function() ran = true end }
  expect(KeInsertQueueApc(N1), "insert N1 (env 1)")
  expect(state(T1).KernelApcPending, "I8: KAP set")
end, { cpu = 0 })
