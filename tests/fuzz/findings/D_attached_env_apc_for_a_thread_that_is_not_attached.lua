-- Finding D (FIXED: now a scenario error, exit 3; apcsim robustness bug, found while designing the generator; exit 5).
-- expect-exit: 3
--
-- A DPC inserts a normal kernel APC for the AttachedApcEnvironment into a
-- thread that is not attached. SEMANTICS A4 calls this a caller bug (ReactOS
-- asserts; WRK parks the APC in the dormant SavedApcState). The thread then
-- attaches: KiAttachProcess moves ApcState into SavedApcState, over the parked
-- APC, which is lost while still marked Inserted. apcsim reports an internal
-- invariant ("APC X says Inserted but is in no list (A5)", exit 5 = a bug in
-- apcsim), which is the wrong kind of failure for a scenario mistake: it should
-- be a scenario error or a bugcheck naming A4 (or, under the win10 profile,
-- the APC goes to the live ApcState, [DIFF] row 5, and nothing is wrong).
-- The generator never does this (it guards such insertions with
-- state(t).ApcStateIndex == 1), so the fuzz runs do not hit it.
machine { cpus = 1 }
local P2 = process { name = "P2" }
local T
T = thread { name = "T", system = true, body = function()
  compute(us(100))
  local st = KeStackAttachProcess(P2)
  compute(us(10))
  KeUnstackDetachProcess(st)
  mark("done")
end }
at(us(50), function()
  KeInsertQueueApc(KeInitializeApc { thread = T, name = "X", environment = "AttachedApcEnvironment",
                                     normal_routine = function() mark("NR") end })
end)
