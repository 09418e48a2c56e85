-- C09 variant a - Self-insertion at DISPATCH_LEVEL is deferred, lowering in two
-- steps (SEMANTICS.md 2, C09; rules R1, R3, I7, R10).
--
-- Case: "1 CPU; T1 holds a spin lock (DISPATCH). T1 queues DPC D1, then inserts
-- SK S1 into itself, then (variant a) lowers to APC_LEVEL, then to PASSIVE.
-- Expected: nothing runs while at DISPATCH; at the lowering to APC_LEVEL D1 runs
-- (at DISPATCH) but S1 does not; at PASSIVE KR_S1@APC runs. (R1)"
-- The spin lock is modelled by KeRaiseIrql(DISPATCH_LEVEL).
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, body = function()
  local old = KeRaiseIrql(DISPATCH_LEVEL)
  expect(old == PASSIVE_LEVEL, "raised from PASSIVE")
  KeInsertQueueDpc(function() rec("D1@" .. at_irql()) end)
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function() rec("KR_S1@" .. at_irql()) end }
  expect(KeInsertQueueApc(S1) == true, "insert S1 into itself at DISPATCH")
  expect(state(T1).KernelApcPending == true, "KAP = TRUE (I7)")
  compute(us(10))
  expect(#log == 0, "nothing runs while at DISPATCH: " .. joined(log))
  rec("to-APC")
  KeLowerIrql(APC_LEVEL)
  rec("at-APC")
  compute(us(10))
  expect(joined(log) == "to-APC D1@DISPATCH at-APC", "D1 ran at the lowering to APC_LEVEL, S1 did not: " .. joined(log))
  expect(joined(state(T1).kernel_queue) == "S1", "S1 still queued")
  rec("to-PASSIVE")
  KeLowerIrql(PASSIVE_LEVEL)
  rec("at-PASSIVE")
  expect(joined(log) == "to-APC D1@DISPATCH at-APC to-PASSIVE KR_S1@APC at-PASSIVE",
         "KR_S1 runs at the lowering to PASSIVE (R1): " .. joined(log))
end }
