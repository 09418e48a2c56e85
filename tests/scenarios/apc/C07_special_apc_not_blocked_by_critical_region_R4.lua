-- C07 - Special APC is not blocked by a critical region (SEMANTICS.md 2, C07; rules R4, I8, D3, R1).
--
-- Case: "T1 on CPU1, PASSIVE, KAD = -1; T2 inserts SK S1. Expected: IPI -> APC
-- interrupt on CPU1 -> KR_S1@APC immediately; KAD still -1 afterwards. (R4)"
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeEnterCriticalRegion()
  compute(us(100))                 -- T2 inserts S1 at 10 us
  expect(joined(log) == "KR_S1@APC@10us", "S1 ran at once despite the critical region (R4): " .. joined(log))
  local s = state(T1)
  expect(s.KernelApcDisable == -1, "KAD still -1 afterwards")
  expect(#s.kernel_queue == 0 and s.KernelApcPending == false, "S1 consumed, KAP FALSE")
  KeLeaveCriticalRegion()
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function()
      expect(current_thread() == T1, "KR_S1 runs in T1's context")
      expect(state(T1).KernelApcDisable == -1, "KAD is -1 while KR_S1 runs")
      rec("KR_S1@" .. at_irql() .. "@" .. (now() // 1000) .. "us")
    end }
  expect(KeInsertQueueApc(S1) == true, "insert S1")
  expect(state(T1).KernelApcPending == true, "KAP = TRUE after the insertion (I8)")
end }
