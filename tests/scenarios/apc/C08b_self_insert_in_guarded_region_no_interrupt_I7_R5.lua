-- C08 self-insertion variant - Special APC self-inserted in a guarded region
-- (SEMANTICS.md 2, C08; rules I7, D2, R5, R6).
--
-- Case: "Self-insertion variant: T1 inserts S1 into itself while SAD = -1 ->
-- KAP = TRUE but no interrupt is even requested. (I7, D2, R5)"
-- Observable consequence: since no APC interrupt runs KiDeliverApc, KAP stays
-- TRUE (in C08, where an interrupt does run, it is cleared). On leave S1 runs.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterGuardedRegion()
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function() rec("KR_S1@" .. at_irql()) end }
  expect(KeInsertQueueApc(S1) == true, "insert S1 into itself")
  local s = state(T1)
  expect(s.KernelApcPending == true, "KAP = TRUE and stays TRUE: no APC interrupt ran KiDeliverApc (I7)")
  expect(joined(s.kernel_queue) == "S1", "S1 queued")
  compute(us(20))
  expect(#log == 0, "nothing delivered")
  expect(state(T1).KernelApcPending == true, "KAP still TRUE after more code")
  rec("leave")
  KeLeaveGuardedRegion()
  rec("left")
  expect(joined(log) == "leave KR_S1@APC left", "S1 delivered inside KeLeaveGuardedRegion (R5): " .. joined(log))
  expect(state(T1).KernelApcPending == false, "KAP cleared by the delivery")
end }
