-- W7 - kernel APC already pending at wait entry, SAD != 0
-- (SEMANTICS.md 1.E W7; rules W7, W1.1, I7, R5, K2).
--
-- W7: "... kernel APCs already pending are delivered first (W1.1) if WaitIrql is
-- PASSIVE and SAD is 0." This file tests the "SAD is 0" condition: T1 (system
-- thread) in a guarded region self-inserts SK S1 (KAP = TRUE, no interrupt, I7),
-- then waits 1 ms at PASSIVE. W1.1 does not apply: the wait blocks and times out,
-- S1 is not delivered during or after it; it runs in KeLeaveGuardedRegion (R5).
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterGuardedRegion()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() rec("KR_S1") end })
  expect(state(T1).KernelApcPending == true, "KAP = TRUE at wait entry")
  local t0 = now()
  local st = KeWaitForSingleObject(E, { timeout = ms(1) })
  rec("wait=" .. st)
  expect(st == "STATUS_TIMEOUT", "the wait blocked and timed out: " .. st)
  expect(now() - t0 == ms(1), "blocked for 1 ms")
  expect(joined(log) == "wait=STATUS_TIMEOUT", "S1 not delivered (SAD != 0): " .. joined(log))
  expect(state(T1).KernelApcPending == true, "KAP still TRUE")
  KeLeaveGuardedRegion()
  rec("left")
  expect(joined(log) == "wait=STATUS_TIMEOUT KR_S1 left", "S1 delivered in KeLeaveGuardedRegion: " .. joined(log))
end }
