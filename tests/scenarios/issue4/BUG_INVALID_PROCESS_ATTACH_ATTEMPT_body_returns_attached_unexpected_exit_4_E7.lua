-- A thread body that returns while attached, without expect_bugcheck: exit status 4
-- and INVALID_PROCESS_ATTACH_ATTEMPT on stderr (SEMANTICS.md 1.G E7; rules E7, T5;
-- API: "a body that returns ends the thread exactly as a self-termination would").
-- expect-exit: 4
-- expect-stderr: INVALID_PROCESS_ATTACH_ATTEMPT
-- expect-stderr: INVALID_PROCESS_ATTACH_ATTEMPT (5)
machine { cpus = 1 }
local P2 = process { name = "P2" }
thread { name = "T1", system = true, body = function()
  KeAttachProcess(P2)
end }
