-- C08 - Special APC blocked by a guarded region (SEMANTICS.md 2, C08; rules I8, D2, R5, R6).
--
-- Case: "T1 on CPU1, PASSIVE, SAD = -1. T2 inserts SK S1; later T1 calls
-- KeLeaveGuardedRegion. Expected: insert sets KAP, IPI, the APC interrupt runs
-- KiDeliverApc which clears KAP and returns (SAD != 0); S1 stays queued; inside
-- KeLeaveGuardedRegion: KR_S1@APC." (self-insertion variant: C08b)
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeEnterGuardedRegion()
  expect(state(T1).SpecialApcDisable == -1, "SAD = -1")
  expect(KeAreAllApcsDisabled() == true, "KeAreAllApcsDisabled() in a guarded region (R7)")
  compute(us(100))                 -- T2 inserts S1 at 10 us
  local s = state(T1)
  expect(#log == 0, "S1 not delivered in the guarded region (D2): " .. joined(log))
  expect(joined(s.kernel_queue) == "S1", "S1 stays queued")
  expect(s.KernelApcPending == false, "KAP cleared by the KiDeliverApc of the APC interrupt (D2)")
  rec("leave")
  KeLeaveGuardedRegion()
  rec("left")
  expect(joined(log) == "leave KR_S1@APC left", "S1 delivered inside KeLeaveGuardedRegion (R5, R6): " .. joined(log))
  s = state(T1)
  expect(s.SpecialApcDisable == 0 and #s.kernel_queue == 0 and s.KernelApcPending == false, "clean afterwards")
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function() rec("KR_S1@" .. at_irql()) end }
  expect(KeInsertQueueApc(S1) == true, "insert S1")
  expect(state(T1).KernelApcPending == true, "the insertion sets KAP (I8)")
end }
