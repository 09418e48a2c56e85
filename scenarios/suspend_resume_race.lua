-- suspend_resume_race.lua - suspension is an APC: counting, a resume that wins the race, specials still run.
--
-- Story, in three acts, a controller thread on CPU 0 against a worker on CPU 1:
-- 1. Counting. SuspendThread twice (returns 0, then 1): the first queues the
--    worker's built-in suspend APC, which interrupts its user code and parks it
--    in KiSuspendThread. Two ResumeThread calls are needed (they return 2, then
--    1); a third returns 0 and does nothing.
-- 2. The race. The worker is in a system call inside a critical region, so the
--    suspend APC cannot be delivered. SuspendThread (0) then ResumeThread (1)
--    both happen before delivery: the resume leaves the semaphore signaled, and
--    when the region ends the late suspend APC's wait is satisfied at once - the
--    worker never stops.
-- 3. Suspended, yet specials run. While the worker is suspended, a disk DPC
--    completes its IRP: the special kernel APC wakes the suspended thread, runs
--    IopCompleteRequest (the event is set), and the thread goes back to sleep
--    still suspended. A normal kernel APC N1 must wait: it runs right after the
--    resume, before the worker's user code continues.
--
-- Look for: APC_INSERT worker.SuspendApc at 50, 350 and 500 us; its
-- KernelRoutine (KiSuspendNop) at APC_LEVEL, then KernelApcInProgress 0 -> 1 and
-- WAIT_BEGIN worker.SuspendSemaphore (the NormalRoutine KiSuspendThread) with
-- THREAD_STATE reason=Suspended; SuspendCount 0 -> 1 -> 2 -> 1 -> 0; at 350 us
-- SuspendCount 0 -> 1 -> 0 while the APC stays queued; at 400 us the mark
-- "KeLeaveCriticalRegion", SIGNAL worker.SuspendSemaphore 1 -> 0 and WAIT_END
-- without blocking; at 550 us UNWAIT status=STATUS_KERNEL_APC, ROUTINE_BEGIN
-- irp1.Tail.Apc and SIGNAL io_done on the suspended worker, then Waiting
-- (reason=Suspended) again; at 600 us KernelApcInProgress 1 -> 0 and N1's
-- KernelRoutine and NormalRoutine before the worker's user code resumes.
--
-- Rules: S1 (the suspend APC: NK, KR nop, NR waits on the suspend semaphore,
-- KernelMode, not alertable), S2 (SuspendThread returns the previous count and
-- queues the suspend APC only on 0 -> 1), S3 (ResumeThread returns the previous
-- count; reaching 0 signals the semaphore, even before the APC ran), S6 (suspension takes effect only when
-- the NK can be delivered; a suspended thread runs SKs, not NKs: KAIP), I8, IO1;
-- cases C19 and C20.
machine { cpus = 2 }

local app = process { name = "app.exe" }
local io_done = event { name = "io_done" }

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end
local LEVEL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function irql() return LEVEL[current_irql()] or tostring(current_irql()) end

local worker, rq

worker = thread { name = "worker", process = app, affinity = 2, body = function()   -- on CPU 1
  -- Act 1: 200 us of user code, suspended from 50 to 150 us.
  compute(us(200))
  step("act 1 work done")
  expect(now() == us(300), "200 us of work plus 100 us suspended")

  -- Act 2: a system call with a critical region, 300-400 us.
  syscall("NtLockedWork", function()
    KeEnterCriticalRegion()
    compute(us(100))                                -- suspend + resume arrive at 350 us
    step("KeLeaveCriticalRegion")
    local t0 = now()
    KeLeaveCriticalRegion()                         -- the late suspend APC runs here and does not stop us
    expect(now() == t0, "the suspend APC's wait was satisfied at once: no stop (S2, S3)")
    return "STATUS_SUCCESS"
  end)
  step("act 2 done")

  -- Act 3: 300 us of user code, suspended from 500 to 600 us.
  compute(us(300))
  step("act 3 work done")
  expect(now() == us(830), "400 + 300 us of work + 100 us suspended + 30 us of N1 (" .. now() .. ")")
  expect(so_far() == "act 1 work done | suspend+resume before delivery | KeLeaveCriticalRegion | act 2 done | "
         .. "IoCompleteRequest | SK ran, still suspended | N1 queued | ResumeThread | N1.KR@APC | "
         .. "N1.NR@PASSIVE | act 3 work done",
         "the story's order: " .. so_far())
end }

rq = irp { thread = worker, event = io_done, name = "irp1" }   -- an I/O request of the worker

thread { name = "controller", process = app, affinity = 1, start_at = us(50), body = function()   -- on CPU 0
  -- Act 1 (C19): counting.
  expect(SuspendThread(worker) == 0, "first SuspendThread returns 0")
  expect(SuspendThread(worker) == 1, "second returns 1 (no second APC, S2)")
  Sleep(0.1)                                        -- until 150 us
  local s = state(worker)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and s.SuspendCount == 2,
         "suspended inside KiSuspendThread (S1): " .. s.state .. " " .. tostring(s.wait_reason))
  expect(s.KernelApcInProgress, "the suspend NR runs: KernelApcInProgress TRUE (S6)")
  expect(ResumeThread(worker) == 2 and state(worker).state == "Waiting", "ResumeThread returns 2: still suspended")
  expect(ResumeThread(worker) == 1, "ResumeThread returns 1: the worker runs again (S3)")
  expect(ResumeThread(worker) == 0, "a third ResumeThread returns 0 and does nothing")

  -- Act 2 (S2, S3): resume before the suspend APC could be delivered.
  Sleep(0.2)                                        -- until 350 us: the worker is in its critical region
  s = state(worker)
  expect(s.state == "Running" and s.KernelApcDisable == -1, "the worker runs inside a critical region")
  expect(SuspendThread(worker) == 0, "SuspendThread returns 0")
  s = state(worker)
  expect(s.state == "Running" and #s.kernel_queue == 1, "the suspend APC is queued but blocked (S6)")
  expect(ResumeThread(worker) == 1, "ResumeThread returns 1, before the APC was delivered")
  expect(state(worker).SuspendCount == 0, "count back to 0")
  step("suspend+resume before delivery")

  -- Act 3 (C20): a suspended thread still runs special kernel APCs.
  Sleep(0.15)                                       -- until 500 us
  expect(SuspendThread(worker) == 0, "SuspendThread returns 0")
  Sleep(0.1)                                        -- until 600 us; the IRP completes at 550 us
  s = state(worker)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and s.SuspendCount == 1, "still suspended")
  expect(table.concat(s.kernel_queue, " ") == "N1", "N1 waits for the resume (KAIP, S6)")
  expect(WaitForSingleObject(io_done, 0) == "WAIT_OBJECT_0", "IopCompleteRequest set the IRP's event (IO2)")
  step("ResumeThread")
  expect(ResumeThread(worker) == 1, "ResumeThread returns 1")
end }

at(us(550), function()                              -- CPU 0: the disk DPC completes the worker's IRP
  step("IoCompleteRequest")
  IoCompleteRequest(rq, 1)
end, { cpu = 0 })

at(us(560), function()                              -- the SK has run: check, then queue a normal kernel APC
  local s = state(worker)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended", "the worker went back to its suspended wait")
  step("SK ran, still suspended")
  local N1 = KeInitializeApc { thread = worker, name = "N1",
    kernel_routine = function() step("N1.KR@" .. irql()); compute(us(10)) end,
    normal_routine = function() step("N1.NR@" .. irql()); compute(us(20)) end }
  expect(KeInsertQueueApc(N1), "insert N1")
  expect(state(worker).state == "Waiting", "N1 does not wake the suspended thread (KAIP, I8)")
  step("N1 queued")
end, { cpu = 0 })
