-- C15 without expect_bugcheck: the INVALID_PROCESS_DETACH_ATTEMPT bugcheck of an
-- unbalanced KeUnstackDetachProcess ends the run with exit status 4 and the
-- bugcheck name on stderr (SEMANTICS.md 2, C15; rules E5, R4; API exit status 4).
-- Case: "T1 attached via KeStackAttachProcess, KAD = -1; T2 inserts NK N1 with env 1
-- (blocked). T1 calls KeUnstackDetachProcess. Expected: bugcheck
-- INVALID_PROCESS_DETACH_ATTEMPT (0x6)."
-- expect-exit: 4
-- expect-stderr: INVALID_PROCESS_DETACH_ATTEMPT
-- expect-stderr: INVALID_PROCESS_DETACH_ATTEMPT (6)
machine { cpus = 2 }

local P2 = process { name = "P2" }
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  local B = KeStackAttachProcess(P2)
  KeEnterCriticalRegion()
  compute(us(100))
  KeUnstackDetachProcess(B)
  expect(false, "not reached")
end }

at(us(50), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
                                     normal_routine = function() end })
end, { cpu = 0 })
