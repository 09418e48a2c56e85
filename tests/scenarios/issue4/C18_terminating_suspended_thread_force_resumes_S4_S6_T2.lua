-- C18 - Terminating a suspended thread (SEMANTICS.md 2, C18; rules S4, S6, T2, T3,
-- T4, S1, D3, D4).
--
-- Case: "T1 suspended (Susp = 2, blocked in KiSuspendThread's wait, KAIP = TRUE,
-- entered from user mode via the APC interrupt). T2 terminates T1. Expected: exit NK
-- inserted but no wake (NK + KAIP); KeForceResumeThread returns 2, sets Susp = Freeze
-- = 0, releases the semaphore -> T1 wakes, NR KiSuspendThread returns, KAIP = FALSE,
-- the same KiDeliverApc loop delivers the exit NK (user exit APC queued, UAP = TRUE),
-- then - still in that KiDeliverApc(User) - its user phase takes the exit APC and T1
-- terminates without ever running user code again. (S4, S6, T2)"
--
-- T1 runs user code on CPU 1; a DPC on CPU 0 suspends it twice at 10 us, checks it
-- at 20 us and terminates it at 30 us. The insertion and KeForceResumeThread happen
-- inside one PsTerminateThread call (T2), so the test sees their joint result: the
-- counts are 0 right after the call, and T1 ends at 30 us without running user code.
-- In the trace: the exit NK is inserted, then KeForceResumeThread takes the suspend
-- count from 2 to 0 at once (T2, S4).
-- expect-dump: 30000 0 T1 APC_INSERT T1.ExitApc state=0 list=KernelMode pos=tail increment=2
-- expect-dump: 30000 - T1 FIELD SuspendCount from=2 to=0
-- The exit NK does not wake T1 (an NK while KernelApcInProgress): T1's only
-- unwait is the force-resume's, with the suspend event's status.
-- expect-dump-count: 1 T1 UNWAIT
-- expect-dump: 30000 0 T1 UNWAIT - status=STATUS_SUCCESS
machine { cpus = 2 }

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(100))
  rec("user-code-continues")
  expect(false, "T1 never runs user code again (C18)")
end }

at(us(10), function()
  expect(KeSuspendThread(T1) == 0, "first suspend returns 0 (S2)")
  expect(KeSuspendThread(T1) == 1, "second suspend returns 1 (S2)")
end, { cpu = 0 })

at(us(20), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended", "T1 blocked in KiSuspendThread (S1)")
  expect(s.SuspendCount == 2 and s.KernelApcInProgress == true, "Susp = 2, KAIP = TRUE (S6)")
  rec("suspended")
end, { cpu = 0 })

at(us(30), function()
  local st = PsTerminateThread(T1, 5)
  rec("terminate")
  expect(st == "STATUS_SUCCESS", "PsTerminateThread returns STATUS_SUCCESS (T2)")
  local s = state(T1)
  expect(s.SuspendCount == 0, "KeForceResumeThread set the count to 0 (T2, S4)")
  expect(s.state ~= "Waiting", "the released semaphore woke T1 (S4)")
  expect(joined(s.kernel_queue) == "T1.ExitApc", "the exit NK waits for T1 to run")
end, { cpu = 0 })

thread { name = "watcher", system = true, affinity = 1, start_at = us(25), body = function()
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1's object is signaled")
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 5, "T1 terminated with status 5")
  expect(now() == us(30), "at once, in the KiDeliverApc that was suspended (30 us): " .. now())
  expect(joined(log) == "suspended terminate", "no user code ran: " .. joined(log))
end }
