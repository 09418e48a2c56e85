-- Bugcheck INVALID_PROCESS_ATTACH_ATTEMPT: KeAttachProcess while already attached
-- (SEMANTICS.md 1.G E2; rules E2, E3).
--
-- E2: "KeAttachProcess(P): no-op if P is already the current process; bugcheck
-- INVALID_PROCESS_ATTACH_ATTEMPT if already attached (Idx != 0) or if a DPC is
-- executing." (Only KeStackAttachProcess nests, E3.)
-- T1 attaches to P2, checks the state, and attaches again to P3.
machine { cpus = 1 }
expect_bugcheck("INVALID_PROCESS_ATTACH_ATTEMPT")

local P2 = process { name = "P2" }
local P3 = process { name = "P3" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeAttachProcess(P2)
  local s = state(T1)
  expect(s.ApcStateIndex == 1 and s.process == "P2", "attached to P2 (E2)")
  KeAttachProcess(P2)                                -- P2 is the current process: a no-op (E2)
  expect(state(T1).process == "P2", "attaching to the current process changes nothing")
  KeAttachProcess(P3)                                -- already attached: bugcheck
  expect(false, "not reached: E2 bugchecks")
end }
