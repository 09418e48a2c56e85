-- C12 - KernelRoutine cancels / rewrites a normal kernel APC (SEMANTICS.md 2, C12; rules D3, A6).
--
-- Case: "T1 PASSIVE. Insert NK N1 whose KR sets NR to NULL, then NK N2 whose KR
-- replaces NormalContext with 42. Expected: KR_N1@APC; NR_N1 never runs and KAIP
-- is never set for N1; KR_N2@APC; NR_N2@PASSIVE called with context 42. (D3, A6)"
-- T2 (CPU0) inserts both into T1 (CPU1) while T1 is at APC_LEVEL so that one
-- KiDeliverApc handles both; KAIP is sampled in KR_N2 (N1's NR was cancelled, so
-- KAIP is FALSE there) and in NR_N2 (TRUE). A6 extra: the KR changed only the
-- delivery's copy, so re-inserting N2 delivers its original context again.
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
local N2
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeRaiseIrql(APC_LEVEL)
  compute(us(50))
  KeLowerIrql(PASSIVE_LEVEL)
  expect(joined(log) == "KR_N1@APC KR_N2@APC(orig) NR_N2@PASSIVE(42)",
         "N1's NR cancelled, N2's context rewritten (D3, A6): " .. joined(log))
  expect(state(T1).KernelApcInProgress == false, "KAIP FALSE afterwards")
  -- A6: the KR rewrote the delivery's copy, not the KAPC: re-insert N2.
  log = {}
  expect(KeInsertQueueApc(N2, nil, nil, 0) == true, "N2 can be inserted again after delivery")
  expect(joined(log) == "KR_N2@APC(orig) NR_N2@PASSIVE(42)",
         "second delivery starts from the original context again: " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", context = "n1",
    kernel_routine = function(a, ctl)
      expect(state(T1).KernelApcInProgress == false, "KAIP FALSE in KR_N1")
      rec("KR_N1@" .. at_irql())
      ctl.normal_routine = nil
    end,
    normal_routine = function() rec("NR_N1@" .. at_irql()) end }
  N2 = KeInitializeApc { thread = T1, name = "N2", context = "orig",
    kernel_routine = function(a, ctl)
      expect(state(T1).KernelApcInProgress == false, "KAIP FALSE in KR_N2: never set for N1")
      rec("KR_N2@" .. at_irql() .. "(" .. tostring(ctl.context) .. ")")
      ctl.context = 42
    end,
    normal_routine = function(ctx)
      expect(state(T1).KernelApcInProgress == true, "KAIP TRUE in NR_N2")
      rec("NR_N2@" .. at_irql() .. "(" .. tostring(ctx) .. ")")
    end }
  expect(KeInsertQueueApc(N1) and KeInsertQueueApc(N2), "both inserted")
  expect(joined(state(T1).kernel_queue) == "N1 N2", "FIFO [N1 N2]")
end }
