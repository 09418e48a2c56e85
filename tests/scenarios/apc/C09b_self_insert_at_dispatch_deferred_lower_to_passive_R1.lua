-- C09 variant b - Self-insertion at DISPATCH_LEVEL is deferred, released straight
-- to PASSIVE (SEMANTICS.md 2, C09; rules R1, I7, R10).
--
-- Case: "... T1 queues DPC D1, then inserts SK S1 into itself ... Variant b
-- (release straight to PASSIVE): D1 then KR_S1." R1: "When lowering from >=
-- DISPATCH to PASSIVE, a pending DISPATCH request (DPC retirement, then
-- rescheduling) is serviced before the APC request."
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, body = function()
  KeRaiseIrql(DISPATCH_LEVEL)
  KeInsertQueueDpc(function() rec("D1@" .. at_irql()) end)
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function() rec("KR_S1@" .. at_irql()) end }
  expect(KeInsertQueueApc(S1) == true, "insert S1 into itself at DISPATCH")
  compute(us(10))
  expect(#log == 0, "nothing runs while at DISPATCH: " .. joined(log))
  rec("release")
  KeLowerIrql(PASSIVE_LEVEL)
  rec("at-PASSIVE")
  expect(joined(log) == "release D1@DISPATCH KR_S1@APC at-PASSIVE", "D1, then KR_S1 (R1): " .. joined(log))
end }
