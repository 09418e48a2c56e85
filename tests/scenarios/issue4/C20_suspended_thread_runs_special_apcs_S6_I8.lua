-- C20 - A suspended thread still executes special kernel APCs
-- (SEMANTICS.md 2, C20; rules S6, I8, D3, W4, S1).
--
-- Case: "T1 suspended (Susp 1). T2 inserts SK S1 (e.g. an I/O completion) and NK N1.
-- Expected: S1 wakes T1 (STATUS_KERNEL_APC), KR_S1@APC runs, T1 re-waits on the
-- semaphore (still suspended); N1 only sets KAP (KAIP). After Resume: the suspend NR
-- returns, KAIP = FALSE, KR_N1@APC and NR_N1@PASSIVE run in the same loop before T1
-- continues. (S6, I8)"
--
-- T1 computes user code on CPU 1, suspended at 10 us. At 30 us a DPC on CPU 0
-- inserts S1, at 40 us N1, at 60 us it resumes T1. T1's work ends at 160 us
-- (100 us of work + 50 us suspended + the 10 us NR_N1 computes).
machine { cpus = 2 }

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(100))
  rec("T1-continues@" .. now() // 1000)
  expect(joined(log) == "suspended KR_S1@APC/KAIP S1-done N1-queued resume KR_N1@APC NR_N1@PASSIVE T1-continues@160",
         "order: " .. joined(log))
end }

at(us(10), function() expect(KeSuspendThread(T1) == 0, "suspend") end, { cpu = 0 })

at(us(20), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and s.SuspendCount == 1, "T1 suspended (Susp 1)")
  rec("suspended")
end, { cpu = 0 })

at(us(30), function()
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function()
      rec("KR_S1@" .. at_irql() .. (state(T1).KernelApcInProgress and "/KAIP" or ""))
    end }
  expect(KeInsertQueueApc(S1, nil, nil, 1), "insert S1")
  expect(state(T1).state ~= "Waiting", "S1 woke the suspended T1 (I8: SK, STATUS_KERNEL_APC)")
end, { cpu = 0 })

at(us(35), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and #s.kernel_queue == 0,
         "after KR_S1 T1 waits on the semaphore again, still suspended (S6, W4)")
  rec("S1-done")
end, { cpu = 0 })

at(us(40), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function()
      expect(not state(T1).KernelApcInProgress, "the suspend NR has returned: KAIP FALSE before KR_N1 (D3; nt52 - win10 also sets it during an NK KR, [DIFF] row 2)")
      rec("KR_N1@" .. at_irql())
    end,
    normal_routine = function()
      expect(state(T1).KernelApcInProgress, "NR_N1 with KAIP TRUE (D3)")
      rec("NR_N1@" .. at_irql()); compute(us(10))
    end }
  expect(KeInsertQueueApc(N1), "insert N1")
  local s = state(T1)
  expect(s.state == "Waiting" and s.KernelApcPending and joined(s.kernel_queue) == "N1",
         "N1 only sets KAP: no wake while KAIP (I8, S6)")
  rec("N1-queued")
end, { cpu = 0 })

at(us(60), function()
  rec("resume")
  expect(KeResumeThread(T1) == 1, "resume returns 1")
end, { cpu = 0 })
