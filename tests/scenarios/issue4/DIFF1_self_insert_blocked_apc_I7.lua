-- DIFF row 1 - self-insertion of a normal kernel APC that cannot be delivered now
-- (SEMANTICS.md 1.B I7 [DIFF], Profiles table row 1; rules I7, R4, R5, D2).
--
-- Profiles row 1: "self-insert of a blocked NK (I7) | nt52: KAP set, interrupt
-- requested if SAD=0 | reactos: same | win10: KAP/interrupt only if deliverable
-- now". I7: "Note: requested even when the APC is an NK that KAD will block.
-- [DIFF] modern Windows sets KAP and requests the interrupt only if the APC is
-- deliverable right now (CAD == 0, or SK with SAD == 0)."
--
-- One script, run once under nt52 and once under win10 (only the expected flags
-- differ, see WANT). A: T1 in a critical region at APC_LEVEL inserts NK N1 into
-- itself; B: T1 in a guarded region inserts SK S1 into itself.
-- The delivery order does not change (both run when their region ends); the
-- KernelApcPending flag right after the insertion does.
--   nt52:  A -> KAP TRUE (and an APC interrupt latched, masked at APC_LEVEL; it
--          fires at the lowering and its KiDeliverApc clears KAP, D2); B -> KAP
--          TRUE, no interrupt (SAD != 0).
--   win10: neither N1 (KAD != 0) nor S1 (SAD != 0) is deliverable now: no KAP, no
--          interrupt; the region's end still delivers them (R4, R5: leaving checks
--          the list).
-- args: --profile nt52
-- args: --profile win10
machine { cpus = 1 }
local WANT = ({
  nt52 = { kap_after_blocked_nk = true, kap_after_guarded_sk = true },
  win10 = { kap_after_blocked_nk = false, kap_after_guarded_sk = false },
})[current_profile()]
expect(WANT ~= nil, "run with --profile nt52 or --profile win10, not " .. current_profile())

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
local function apc(name, special)
  local o = { thread = T1, name = name, kernel_routine = function() rec("KR_" .. name .. "@" .. at_irql()) end }
  if not special then o.normal_routine = function() rec("NR_" .. name .. "@" .. at_irql()) end end
  return KeInitializeApc(o)
end

T1 = thread { name = "T1", system = true, body = function()
  -- A: a normal APC blocked by a critical region, inserted at APC_LEVEL (so an
  -- interrupt, if requested, stays latched and KAP stays visible).
  KeEnterCriticalRegion()
  KeRaiseIrql(APC_LEVEL)
  expect(KeInsertQueueApc(apc("N1")), "insert N1")
  local s = state(T1)
  expect(s.KernelApcPending == WANT.kap_after_blocked_nk, "A: KAP after the insert = " .. tostring(s.KernelApcPending))
  KeLowerIrql(PASSIVE_LEVEL)
  s = state(T1)
  expect(s.KernelApcPending == false and joined(s.kernel_queue) == "N1" and #log == 0,
         "A: at PASSIVE N1 is still blocked, KAP FALSE")
  KeLeaveCriticalRegion()
  expect(joined(log) == "KR_N1@APC NR_N1@PASSIVE", "A: N1 delivered when the region ends (R4): " .. joined(log))

  -- B: a special APC inserted inside a guarded region.
  KeEnterGuardedRegion()
  expect(KeInsertQueueApc(apc("S1", true)), "insert S1")
  s = state(T1)
  expect(s.KernelApcPending == WANT.kap_after_guarded_sk, "B: KAP after the insert = " .. tostring(s.KernelApcPending))
  expect(joined(s.kernel_queue) == "S1", "B: S1 queued, not delivered (R5)")
  KeLeaveGuardedRegion()
  expect(joined(log) == "KR_N1@APC NR_N1@PASSIVE KR_S1@APC", "B: S1 delivered when the region ends (R5): " .. joined(log))
  s = state(T1)
  expect(not s.KernelApcPending and #s.kernel_queue == 0, "clean state at the end")
end }
