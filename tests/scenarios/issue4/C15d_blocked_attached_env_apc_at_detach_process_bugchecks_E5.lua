-- C15 variant with KeDetachProcess (SEMANTICS.md 2, C15; rule E5).
--
-- Case: "(With KeDetachProcess on a WRK free build there is no check; treat as
-- undefined.)" E5: the leftover check is made by "KeDetachProcess: WRK only on
-- checked builds, ReactOS always".
-- Reading chosen (apcsim, every profile; see src/ke/attach.c): the checked-build /
-- ReactOS one - KeDetachProcess with a blocked normal APC left in the attached
-- environment bugchecks INVALID_PROCESS_DETACH_ATTEMPT. The free-build behaviour
-- (restore anyway, the APC stranded) is not modelled.
machine { cpus = 2 }
expect_bugcheck("INVALID_PROCESS_DETACH_ATTEMPT")

local P2 = process { name = "P2" }
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeAttachProcess(P2)
  KeEnterCriticalRegion()
  compute(us(100))                                   -- N1 arrives at 50 us, blocked (R4)
  expect(table.concat(state(T1).kernel_queue, " ") == "N1", "N1 blocked in P2's kernel list")
  KeDetachProcess()
  expect(false, "not reached")
end }

at(us(50), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
                                     normal_routine = function() end })
end, { cpu = 0 })
