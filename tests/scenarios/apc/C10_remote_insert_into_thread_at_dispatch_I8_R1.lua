-- C10 - Remote insertion into a thread running at DISPATCH (SEMANTICS.md 2, C10; rules I8, R1, R3).
--
-- Case: "CPU1 runs T1 at DISPATCH until t=5 then PASSIVE; T2 on CPU0 inserts SK
-- S1 at t=1. Expected: KeInsertQueueApc returns TRUE at t=1; T1.KAP = TRUE; IPI
-- latches an APC request on CPU1; KR_S1@APC runs at t=5 in T1's context."
-- Times are in microseconds here (t=1 -> 1 us, t=5 -> 5 us).
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeRaiseIrql(DISPATCH_LEVEL)
  compute(us(5))
  expect(#log == 0, "nothing ran while T1 was at DISPATCH: " .. joined(log))
  expect(state(T1).KernelApcPending == true, "KAP still TRUE at t=5")
  KeLowerIrql(PASSIVE_LEVEL)
  rec("lowered@" .. now() // 1000)
  expect(joined(log) == "KR_S1@APC@5@T1 lowered@5", "KR_S1 ran at t=5 in T1's context: " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(1), body = function()
  expect(state(T1).irql == DISPATCH_LEVEL, "T1 at DISPATCH at t=1")
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function()
      rec("KR_S1@" .. at_irql() .. "@" .. now() // 1000 .. "@" .. tostring(current_thread()))
    end }
  expect(KeInsertQueueApc(S1) == true, "KeInsertQueueApc returns TRUE at t=1")
  expect(now() == us(1), "t=1")
  expect(state(T1).KernelApcPending == true, "T1.KAP = TRUE (I8)")
end }
