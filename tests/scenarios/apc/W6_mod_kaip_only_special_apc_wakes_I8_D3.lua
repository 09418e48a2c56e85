-- W6 modifier "KAIP" (SEMANTICS.md 1.E W6; rules I8, D3, D9, K2, W4).
--
-- "Modifiers: ... KAD != 0 or KAIP -> only SKs wake it."
-- T1 (system thread) inserts NK N0 into itself; N0's normal routine (PASSIVE,
-- KAIP = TRUE) waits on E. A DPC inserts NK N1 at 10 us (no wake: KAIP) and SK S1
-- at 20 us (wake: KR_S1 runs inside N0's wait, which continues). E is set at
-- 50 us: NR_N0 returns, KAIP = FALSE, and the same KiDeliverApc loop delivers N1
-- before T1's KeInsertQueueApc(N0) call returns.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  local N0 = KeInitializeApc { thread = T1, name = "N0",
    normal_routine = function()
      expect(state(T1).KernelApcInProgress == true, "KAIP TRUE in NR_N0")
      rec("NR_N0")
      local st = KeWaitForSingleObject(E, { mode = "KernelMode" })
      expect(wait0(st), "NR_N0's wait satisfied by E: " .. st)
      rec("NR_N0-done")
    end }
  KeInsertQueueApc(N0)
  rec("inserted")
  expect(joined(log) == "NR_N0 KR_S1 NR_N0-done KR_N1 NR_N1 inserted",
         "S1 ran inside NR_N0's wait, N1 only after NR_N0 returned: " .. joined(log))
end }

at(us(10), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1", kernel_routine = function() rec("KR_N1") end,
                                     normal_routine = function() rec("NR_N1") end })
  local s = state(T1)
  expect(s.state == "Waiting", "N1 did not wake T1 (KAIP): " .. s.state)
  expect(s.KernelApcInProgress == true and s.KernelApcPending == true, "KAIP and KAP TRUE")
end)
at(us(20), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() rec("KR_S1") end })
  expect(state(T1).state ~= "Waiting", "S1 woke T1 (I8)")
end)
at(us(30), function()
  expect(joined(log) == "NR_N0 KR_S1", "KR_S1 ran: " .. joined(log))
  expect(state(T1).state == "Waiting", "T1 back in NR_N0's wait (W4)")
end)
at(us(50), function() KeSetEvent(E, 0) end)
