-- W6 modifier "WaitIrql = APC_LEVEL" (SEMANTICS.md 1.E W6; rules I8, R3, K2, W1.1).
--
-- "Modifiers: WaitIrql = APC_LEVEL -> no kernel APC wakes the thread (KAP set,
-- delivered after the wait, when IRQL drops)."
-- T1 (system thread) raises to APC_LEVEL and waits on E (KernelMode). A DPC
-- inserts SK S1 at 10 us: T1 stays Waiting, KAP TRUE. E is set at 50 us: the wait
-- returns at APC_LEVEL without running S1; KR_S1 runs when T1 lowers to PASSIVE.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeRaiseIrql(APC_LEVEL)
  local st = KeWaitForSingleObject(E, { mode = "KernelMode" })
  rec("wait")
  expect(wait0(st), "the wait is satisfied by E: " .. st)
  expect(now() == us(50), "at 50 us")
  expect(current_irql() == APC_LEVEL, "back at APC_LEVEL (WaitIrql)")
  expect(joined(log) == "wait", "S1 not delivered during or at the end of the wait: " .. joined(log))
  expect(state(T1).KernelApcPending == true, "KAP still TRUE")
  KeLowerIrql(PASSIVE_LEVEL)
  rec("lowered")
  expect(joined(log) == "wait KR_S1 lowered", "S1 delivered when IRQL drops (R3): " .. joined(log))
end }

at(us(10), function()
  local S1 = KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() rec("KR_S1") end }
  expect(KeInsertQueueApc(S1) == true, "S1 inserted")
  local s = state(T1)
  expect(s.state == "Waiting", "T1 (WaitIrql APC_LEVEL) not woken (I8): " .. s.state)
  expect(s.KernelApcPending == true, "KAP = TRUE")
end)

at(us(50), function() KeSetEvent(E, 0) end)
