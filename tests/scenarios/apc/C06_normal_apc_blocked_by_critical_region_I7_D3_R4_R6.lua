-- C06 - Normal kernel APC blocked by a critical region, delivered on leave
-- (SEMANTICS.md 2, C06; rules I7, D2, D3, R4, R6).
--
-- Case: "1 CPU; T1 PASSIVE with KAD = -1 (one KeEnterCriticalRegion). T1 inserts
-- NK N1 into itself; runs other code; calls KeLeaveCriticalRegion. Expected: on
-- insert KAP = TRUE and the APC interrupt fires at once; KiDeliverApc clears KAP,
-- finds N1 blocked, returns; N1 remains queued and KAP is FALSE. Inside
-- KeLeaveCriticalRegion (KAD -> 0, list non-empty, SAD 0, PASSIVE): KR_N1@APC,
-- NR_N1@PASSIVE, before KeLeaveCriticalRegion returns." (nested variant: C06b)
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterCriticalRegion()
  expect(state(T1).KernelApcDisable == -1, "KAD = -1")
  expect(KeAreApcsDisabled() == true, "KeAreApcsDisabled() inside a critical region (R7)")
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1@" .. at_irql()) end,
    normal_routine = function() rec("NR_N1@" .. at_irql()) end }
  expect(KeInsertQueueApc(N1) == true, "self-insertion succeeds")
  -- The interrupt requested by I7 fired at once (PASSIVE): KiDeliverApc cleared
  -- KAP (D2) and stopped at the blocked NK (D3).
  local s = state(T1)
  expect(#log == 0, "N1 not delivered inside the critical region: " .. joined(log))
  expect(joined(s.kernel_queue) == "N1", "N1 remains queued")
  expect(s.KernelApcPending == false, "KAP FALSE: cleared by the KiDeliverApc the interrupt ran (I7, D2)")
  compute(us(50))                                       -- other code
  expect(#log == 0, "still nothing delivered")
  rec("leave")
  KeLeaveCriticalRegion()
  rec("left")
  expect(joined(log) == "leave KR_N1@APC NR_N1@PASSIVE left",
         "N1 delivered inside KeLeaveCriticalRegion (R4, R6): " .. joined(log))
  s = state(T1)
  expect(s.KernelApcDisable == 0 and #s.kernel_queue == 0 and s.KernelApcPending == false, "clean state after")
end }
