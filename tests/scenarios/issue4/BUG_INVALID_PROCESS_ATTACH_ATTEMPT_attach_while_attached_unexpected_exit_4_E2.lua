-- INVALID_PROCESS_ATTACH_ATTEMPT without expect_bugcheck: exit status 4 and the
-- bugcheck name on stderr (SEMANTICS.md 1.G E2; API exit status 4).
-- E2: "bugcheck INVALID_PROCESS_ATTACH_ATTEMPT if already attached (Idx != 0)".
-- Here the nested attach mixes the two APIs: KeStackAttachProcess, then
-- KeAttachProcess (which never nests).
-- expect-exit: 4
-- expect-stderr: INVALID_PROCESS_ATTACH_ATTEMPT
-- expect-stderr: INVALID_PROCESS_ATTACH_ATTEMPT (5)
machine { cpus = 1 }
local P2 = process { name = "P2" }
local P3 = process { name = "P3" }
thread { name = "T1", system = true, body = function()
  KeStackAttachProcess(P2)
  KeAttachProcess(P3)
  expect(false, "not reached")
end }
