-- D8: an APC routine that attaches to another process and returns without
-- detaching: at the end of KiDeliverApc the process differs from the one at
-- entry -> bugcheck INVALID_PROCESS_ATTACH_ATTEMPT.
machine { cpus = 1 }
local P2 = process { name = "P2" }
expect_bugcheck("INVALID_PROCESS_ATTACH_ATTEMPT")
local T
T = thread { name = "T", system = true, body = function()
  local a = KeInitializeApc { thread = T, name = "Leaky",
                              kernel_routine = function() KeAttachProcess(P2) end }
  KeInsertQueueApc(a)                          -- self-insert at PASSIVE: delivered at once (I7)
  expect(false, "not reached: D8 bugchecks")
end }
