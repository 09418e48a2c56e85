-- C15 variant - a user APC left in the attached environment at detach
-- (SEMANTICS.md 2, C15; rules E5, I4, I8).
--
-- Case: "Expected: bugcheck INVALID_PROCESS_DETACH_ATTEMPT (0x6). Same result if a
-- user APC is queued to env 1." E5: "if KAIP, or the attached kernel list or user
-- list is non-empty -> bugcheck".
--
-- T1 runs kernel code attached to P2 (KAD = 0); T2 queues user APC U1 for the
-- Attached environment: it goes to P2's user list (I4), no UAP, no interrupt (I8:
-- T1 is not waiting). KeUnstackDetachProcess finds it: bugcheck.
machine { cpus = 2 }
expect_bugcheck("INVALID_PROCESS_DETACH_ATTEMPT")

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }

local T1
T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  local B = KeStackAttachProcess(P2)
  compute(us(100))                                   -- U1 arrives at 50 us
  local s = state(T1)
  expect(table.concat(s.user_queue, " ") == "U1" and s.UserApcPending == false and s.KernelApcDisable == 0,
         "U1 in P2's user list, UAP FALSE (I8)")
  KeUnstackDetachProcess(B)
  expect(false, "not reached: E5 bugchecks")
end }

at(us(50), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode", environment = "AttachedApcEnvironment",
    normal_routine = function() expect(false, "U1 never runs") end }
  expect(KeInsertQueueApc(U1), "insert U1 (env 1)")
end, { cpu = 0 })
