-- W7 - kernel APC already pending at wait entry, WaitIrql = APC_LEVEL
-- (SEMANTICS.md 1.E W7; rules W7, W1.1, R2, K2, R3).
--
-- W7: "... kernel APCs already pending are delivered first (W1.1) if WaitIrql is
-- PASSIVE and SAD is 0." This file tests the "WaitIrql is PASSIVE" condition:
-- T1 (system thread) at APC_LEVEL self-inserts SK S1 (KAP = TRUE, APC interrupt
-- latched but masked, I7), then waits 1 ms at APC_LEVEL. W1.1 does not apply,
-- the wait blocks and times out without running S1. While T1 is blocked the idle
-- thread lowers to PASSIVE and takes the latched request in its own context (R2):
-- T1 keeps KAP = TRUE, gets a new request when switched back in (K2), and KR_S1
-- runs when T1 lowers to PASSIVE after the wait.
-- The positive branch (KAP pending at a PASSIVE wait entry with SAD = 0) cannot be
-- set up with the scenario API: such a KAP always comes with a latched APC
-- interrupt that is taken before the thread's next statement.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeRaiseIrql(APC_LEVEL)
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", kernel_routine = function()
    expect(current_thread() == T1, "KR_S1 runs in T1")
    rec("KR_S1")
  end })
  expect(state(T1).KernelApcPending == true, "KAP = TRUE at wait entry")
  local t0 = now()
  local st = KeWaitForSingleObject(E, { timeout = ms(1) })
  rec("wait=" .. st)
  expect(st == "STATUS_TIMEOUT", "the wait blocked and timed out: " .. st)
  expect(now() - t0 == ms(1), "blocked for 1 ms")
  expect(current_irql() == APC_LEVEL, "back at APC_LEVEL")
  expect(state(T1).KernelApcPending == true, "KAP still TRUE after the wait (R2: the request fired elsewhere)")
  expect(joined(log) == "wait=STATUS_TIMEOUT", "S1 not delivered by the wait: " .. joined(log))
  KeLowerIrql(PASSIVE_LEVEL)
  rec("lowered")
  expect(joined(log) == "wait=STATUS_TIMEOUT KR_S1 lowered", "S1 delivered when T1 lowers to PASSIVE: " .. joined(log))
end }
