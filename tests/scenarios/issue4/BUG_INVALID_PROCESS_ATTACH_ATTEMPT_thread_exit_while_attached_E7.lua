-- Bugcheck INVALID_PROCESS_ATTACH_ATTEMPT: a thread that ends while attached
-- (SEMANTICS.md 1.G E7, 1.H T5; rules E7, T1, T5).
--
-- E7: "Thread termination while attached is a bugcheck (INVALID_PROCESS_ATTACH_ATTEMPT
-- in PspExitThread)". T5: "PspExitThread order of events: bugcheck if attached;
-- lower IRQL to PASSIVE; ...". T1 self-terminates (PsTerminateThread on itself, T1)
-- while attached to P2 through KeStackAttachProcess.
machine { cpus = 1 }
expect_bugcheck("INVALID_PROCESS_ATTACH_ATTEMPT")

local P2 = process { name = "P2" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeStackAttachProcess(P2)
  expect(state(T1).ApcStateIndex == 1, "attached")
  PsTerminateThread(T1, 0)
  expect(false, "not reached: PspExitThread never returns")
end }
