-- C19 - Suspend/resume counting (SEMANTICS.md 2, C19; rules S1, S2, S3, S6, I3, I8).
--
-- Case: "T1 running user code on CPU1. T2: Suspend -> returns 0 (Susp 1, SuspendApc
-- inserted, IPI, APC interrupt in user mode: KR KiSuspendNop@APC, NR
-- KiSuspendThread@PASSIVE blocks, WaitReason Suspended); Suspend -> returns 1 (Susp
-- 2, no new APC); Resume -> returns 2 (Susp 1, T1 still blocked); Resume -> returns
-- 1 (Susp 0, semaphore released, T1 runs, returns to user code); Resume -> returns
-- 0, no effect. (S2, S3)"
--
-- T2 is a system thread on CPU 0 that leaves 10 us between steps so that the IPI
-- and the APC interrupt on CPU 1 have happened before it looks. T1 computes 100 us
-- of user code; it is stopped from 10 us to 40 us, so its work ends at 130 us.
-- In the trace: the APC interrupt takes T1 in user mode; KiSuspendNop runs at
-- APC_LEVEL, KiSuspendThread at PASSIVE (S1).
-- expect-dump: 10000 1 T1 SWINT_DISPATCH level=APC_LEVEL interrupted_irql=PASSIVE_LEVEL interrupted_mode=UserMode
-- expect-dump: 10000 1 T1 ROUTINE_BEGIN T1.SuspendApc routine=KernelRoutine irql=APC_LEVEL mode=KernelMode
-- expect-dump: 10000 1 T1 ROUTINE_BEGIN T1.SuspendApc routine=NormalRoutine irql=PASSIVE_LEVEL mode=KernelMode
machine { cpus = 2 }

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function pause() KeDelayExecutionThread("KernelMode", false, us(10)) end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(100))
  rec("T1-done@" .. now() // 1000)
  expect(current_mode() == "UserMode", "T1 resumed its user code")
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  expect(KeSuspendThread(T1) == 0, "Suspend returns 0 (S2)")
  local s = state(T1)
  expect(s.SuspendCount == 1 and joined(s.kernel_queue) == "T1.SuspendApc" and s.KernelApcPending,
         "Susp 1, the suspend APC inserted into the running T1 (I3, I8)")
  pause()                                            -- 20 us
  s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended", "T1 blocked in KiSuspendThread (S1)")
  expect(s.KernelApcInProgress and #s.kernel_queue == 0, "inside the suspend NR: KAIP TRUE (S1, S6)")
  rec("suspended")

  expect(KeSuspendThread(T1) == 1, "Suspend returns 1 (S2)")
  s = state(T1)
  expect(s.SuspendCount == 2 and #s.kernel_queue == 0, "Susp 2, no new APC (S2)")

  pause()                                            -- 30 us
  expect(KeResumeThread(T1) == 2, "Resume returns 2 (S3)")
  s = state(T1)
  expect(s.SuspendCount == 1 and s.state == "Waiting", "Susp 1, T1 still blocked (S3)")

  pause()                                            -- 40 us
  expect(KeResumeThread(T1) == 1, "Resume returns 1 (S3)")
  s = state(T1)
  expect(s.SuspendCount == 0 and s.state ~= "Waiting", "Susp 0, semaphore released, T1 runs (S3)")
  rec("resumed")
  pause()                                            -- 50 us
  s = state(T1)
  expect(s.state == "Running" and s.mode == "UserMode" and not s.KernelApcInProgress, "T1 is back in user code")
  expect(KeResumeThread(T1) == 0, "a third Resume returns 0 (S3)")
  expect(state(T1).SuspendCount == 0 and state(T1).state == "Running", "no effect")
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1 ends")
  expect(joined(log) == "suspended resumed T1-done@130", "T1 stopped from 10 to 40 us: " .. joined(log))
end }
