-- W6 modifier "SAD != 0" (SEMANTICS.md 1.E W6; rules I8, R5, K2, D2).
--
-- "Modifiers: ... SAD != 0 -> no kernel APC wakes it."
-- T1 (system thread) enters a guarded region and waits on E at PASSIVE. A DPC
-- inserts SK S1 (10 us) and NK N1 (20 us): T1 stays Waiting, KAP TRUE. E is set
-- at 50 us: the wait returns with nothing delivered (K2 needs SAD == 0). On
-- KeLeaveGuardedRegion, S1 and N1 run (R5).
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterGuardedRegion()
  local st = KeWaitForSingleObject(E, { mode = "KernelMode" })
  rec("wait")
  expect(wait0(st), "the wait is satisfied by E: " .. st)
  expect(now() == us(50), "at 50 us")
  expect(joined(log) == "wait", "nothing delivered inside the guarded region: " .. joined(log))
  expect(joined(state(T1).kernel_queue) == "S1 N1", "S1 N1 queued")
  KeLeaveGuardedRegion()
  rec("left")
  expect(joined(log) == "wait KR_S1 KR_N1 NR_N1 left", "delivered on leaving the region (R5): " .. joined(log))
end }

local function check_not_woken(what)
  local s = state(T1)
  expect(s.state == "Waiting", what .. " did not wake T1 (SAD != 0): " .. s.state)
  expect(s.KernelApcPending == true, "KAP = TRUE")
end
at(us(10), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() rec("KR_S1") end })
  check_not_woken("S1")
end)
at(us(20), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1", kernel_routine = function() rec("KR_N1") end,
                                     normal_routine = function() rec("NR_N1") end })
  check_not_woken("N1")
end)
at(us(50), function() KeSetEvent(E, 0) end)
