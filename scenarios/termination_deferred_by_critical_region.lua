-- termination_deferred_by_critical_region.lua - TerminateThread waits for the victim to leave its critical region.
--
-- Story: a user thread enters a system call and, inside it, a critical region
-- (a driver holding an ERESOURCE) for 300 us. A second thread first queues it a
-- user APC U0 (not delivered: the victim is busy in the kernel), then calls
-- TerminateThread(victim, 7), which returns TRUE at once, and waits on the
-- victim's thread handle. The exit APC is a normal kernel APC, so the critical
-- region holds it back: the victim finishes its locked work undisturbed. Inside
-- KeLeaveCriticalRegion the exit APC runs and re-queues itself as a user APC at
-- the head of the user queue; the victim completes the system call, and on the
-- way out to user mode it dies instead: U0 never runs, the victim never runs
-- another user instruction, and the waiter sees the handle signaled, exit code 7.
--
-- Look for: at 100 us APC_INSERT of the exit APC (list=KernelMode increment=2)
-- and an APC SWINT on CPU 1 that delivers nothing; at 320 us the mark
-- "KeLeaveCriticalRegion", ROUTINE_BEGIN KernelRoutine (APC_LEVEL) and
-- NormalRoutine (PASSIVE_LEVEL) of the exit APC, its re-insertion list=UserMode
-- pos=head with UserApcPending 0 -> 1; at 370 us, on the system-call exit, the
-- user phase dequeues the exit APC (list=UserMode) and its KernelRoutine never
-- ends (PspExitThread); no SYSCALL_EXIT; ApcQueueable 1 -> 0, U0 flushed without
-- running (APC_DEQUEUE UserApc why=2), THREAD_EXIT, SIGNAL victim, and the
-- killer's "WaitForSingleObject(victim)" mark.
--
-- Rules: T2 (cross-thread termination = an exit NK, Increment 2; the requester
-- does not wait), T3 (kernel phase blocked by the critical region, R4; its NR
-- re-queues it as a user APC at the head, I5), T4 (the thread dies at its next
-- return to user mode; queued user APCs never run), T5 (user queue flushed, thread
-- object signaled with the exit status); case C16.
machine { cpus = 2 }

local app = process { name = "app.exe" }

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end

local u0_ran = false
local victim

victim = thread { name = "victim", process = app, affinity = 2, body = function()   -- on CPU 1
  compute(us(20))                                   -- user code
  local st = syscall("NtFsControlFile", function()
    KeEnterCriticalRegion()
    step("KeEnterCriticalRegion")
    compute(us(300))                                -- work under the driver's lock
    local s = state(victim)
    expect(s.state == "Running" and s.KernelApcDisable == -1, "still running its locked work after TerminateThread")
    expect(#s.kernel_queue == 1, "the exit APC waits in the kernel queue (T3)")
    step("KeLeaveCriticalRegion")
    KeLeaveCriticalRegion()                         -- the exit APC's kernel phase runs here (R6, T3)
    s = state(victim)
    expect(s.UserApcPending and #s.user_queue == 2,
           "the exit APC is now a user APC, ahead of U0, UserApcPending TRUE (T3, I5)")
    step("finishing the system call")
    compute(us(50))                                 -- the rest of the system call runs normally (T4)
    return "STATUS_SUCCESS"
  end)
  step("back in user mode")                         -- never reached (T4)
  expect(false, "the victim must not return to user mode, got " .. tostring(st))
end }

thread { name = "killer", process = app, affinity = 1, start_at = us(50), body = function()   -- on CPU 0
  expect(QueueUserAPC(function() u0_ran = true; step("U0 ran") end, victim, nil), "QueueUserAPC(U0)")
  step("U0 queued")
  Sleep(0.05)                                       -- until 100 us
  step("TerminateThread(victim, 7)")
  expect(TerminateThread(victim, 7), "TerminateThread returns TRUE")
  expect(now() == us(100), "without waiting for the victim (T2)")
  expect(state(victim).state == "Running", "the victim keeps running inside its critical region")

  local r = WaitForSingleObject(victim, INFINITE)   -- a thread handle is waitable
  step("WaitForSingleObject(victim)=" .. r)
  expect(r == "WAIT_OBJECT_0", "the thread object is signaled when it ends (T5)")
  expect(now() == us(370), "the victim died at the end of its system call: 20 + 300 + 50 us")
  local s = state(victim)
  expect(s.state == "Terminated" and s.exit_status == 7, "Terminated with exit code 7: "
         .. s.state .. " " .. tostring(s.exit_status))
  expect(not u0_ran, "the user APC queued before the termination never ran (T4, T5)")
  expect(so_far() == "KeEnterCriticalRegion | U0 queued | TerminateThread(victim, 7) | KeLeaveCriticalRegion | "
         .. "finishing the system call | WaitForSingleObject(victim)=WAIT_OBJECT_0",
         "the termination waited for the region to end: " .. so_far())
end }
