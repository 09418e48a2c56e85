-- Bugcheck INVALID_PROCESS_ATTACH_ATTEMPT: attaching from a DPC
-- (SEMANTICS.md 1.G E2, E3; rules E2, E3, R10).
--
-- E2: "bugcheck INVALID_PROCESS_ATTACH_ATTEMPT if already attached (Idx != 0) or if
-- a DPC is executing". E3: "KeStackAttachProcess(P, &Buf): bugcheck if executing a
-- DPC." An at() callback is a DPC (R10) running in the context of whatever thread
-- its CPU runs: it must not attach that thread anywhere.
machine { cpus = 1 }
expect_bugcheck("INVALID_PROCESS_ATTACH_ATTEMPT")

local P2 = process { name = "P2" }
thread { name = "T1", system = true, body = function() compute(us(100)) end }

at(us(10), function()
  expect(current_irql() == DISPATCH_LEVEL, "a DPC runs at DISPATCH_LEVEL")
  KeStackAttachProcess(P2)
  expect(false, "not reached: E3 bugchecks in a DPC")
end)
