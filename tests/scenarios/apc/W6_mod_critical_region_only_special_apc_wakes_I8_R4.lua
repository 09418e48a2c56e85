-- W6 modifier "KAD != 0" (SEMANTICS.md 1.E W6; rules I8, R4, D3, K2, W4).
--
-- "Modifiers: ... KAD != 0 or KAIP -> only SKs wake it."
-- T1 (system thread) enters a critical region and waits on E at PASSIVE. A DPC
-- inserts NK N1 at 10 us (no wake, only KAP) and SK S1 at 20 us (wake with
-- STATUS_KERNEL_APC: KR_S1 runs, N1 stays blocked, the wait continues). E is set
-- at 50 us; N1 runs on KeLeaveCriticalRegion.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterCriticalRegion()
  local st = KeWaitForSingleObject(E, { mode = "KernelMode" })
  rec("wait")
  expect(wait0(st), "the wait is satisfied by E: " .. st)
  expect(now() == us(50), "at 50 us")
  expect(joined(log) == "KR_S1 wait", "only S1 ran during the wait: " .. joined(log))
  expect(joined(state(T1).kernel_queue) == "N1", "N1 still queued")
  KeLeaveCriticalRegion()
  rec("left")
  expect(joined(log) == "KR_S1 wait KR_N1 NR_N1 left", "N1 delivered on leaving the region (R4): " .. joined(log))
end }

at(us(10), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1", kernel_routine = function() rec("KR_N1") end,
                                     normal_routine = function() rec("NR_N1") end })
  local s = state(T1)
  expect(s.state == "Waiting", "N1 did not wake T1 (KAD != 0): " .. s.state)
  expect(s.KernelApcPending == true, "KAP = TRUE")
end)
at(us(20), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() rec("KR_S1") end })
  expect(state(T1).state ~= "Waiting", "S1 woke T1 (I8)")
end)
at(us(30), function()
  expect(joined(log) == "KR_S1", "KR_S1 ran: " .. joined(log))
  expect(state(T1).state == "Waiting", "T1 waits again (W4)")
end)
at(us(50), function() KeSetEvent(E, 0) end)
