-- DIFF row 4 - the KeUnstackDetachProcess pre-delivery loop condition
-- (SEMANTICS.md 1.G E5 [DIFF], Profiles table row 4; rules E5, R3, I8).
--
-- Profiles row 4: "KeUnstackDetachProcess loop (E5) | nt52: SAD==0 and old IRQL <
-- APC | reactos: KAD==0 and old IRQL <= APC | win10: as nt52". E5: "ReactOS
-- KeUnstackDetachProcess loops on "KAP and KAD == 0 and old IRQL <= APC" (uses KAD
-- instead of SAD and <= instead of <; with old IRQL = APC it can spin)."
--
-- One script, run under nt52 and under reactos: T1, attached with
-- KeStackAttachProcess, raises to APC_LEVEL (KAD = SAD = 0); SK S1 for the Attached
-- environment arrives from CPU 0: KAP set, the APC request masked by APC_LEVEL (R3).
-- T1 calls KeUnstackDetachProcess at APC_LEVEL.
--   nt52:    old IRQL is not < APC_LEVEL: no loop; S1 is left in the attached
--            environment -> bugcheck INVALID_PROCESS_DETACH_ATTEMPT.
--   reactos: KAP and KAD == 0 and old IRQL <= APC_LEVEL: the loop releases the lock
--            back to APC_LEVEL, where the APC interrupt stays masked, and looks
--            again - forever. apcsim reports the endless loop as a scenario error
--            (exit 3) naming [DIFF] row 4.
-- (At PASSIVE the conditions differ when KAD != 0 or SAD != 0. In apcsim a kernel
-- APC still pending at PASSIVE when a detach begins is always one those regions
-- block - a deliverable one has run already - so there the outcome is the same and
-- only the trace differs. The case that would differ - an SK arriving inside the
-- detach of a thread in a critical region, delivered by the nt52 loop, left for
-- the ReactOS leftover check - needs C14(b)'s race, which apcsim cannot time.)
machine { cpus = 2 }
expect_bugcheck("INVALID_PROCESS_DETACH_ATTEMPT")
local PROFILE = "nt52"
local P2 = process { name = "P2" }
local ran = false
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  expect(current_profile() == PROFILE, "run with --profile " .. PROFILE)
  local B = KeStackAttachProcess(P2)
  KeRaiseIrql(APC_LEVEL)
  compute(us(100))                                   -- S1 arrives at 50 us
  local s = state(T1)
  expect(s.KernelApcPending and table.concat(s.kernel_queue, " ") == "S1" and not ran,
         "S1 pending, masked at APC_LEVEL (R3)")
  expect(s.KernelApcDisable == 0 and s.SpecialApcDisable == 0, "KAD = SAD = 0")
  KeUnstackDetachProcess(B)
  expect(false, "not reached")
end }

at(us(50), function()
  expect(KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", environment = "AttachedApcEnvironment",
                                            kernel_routine = function() ran = true end }), "insert S1")
end, { cpu = 0 })
