-- C16 - Termination while in a critical region is deferred
-- (SEMANTICS.md 2, C16; rules T2, T3, T4, T5, I5, I8, R4, D4, A7).
-- It also runs under win10 (T7: "Vista+/Win10 implement the same contract with
-- different internals"; apcsim keeps the WRK exit APC there, and the contract
-- below must hold word for word).
-- args:
-- args: --profile win10
--
-- Case: "CPU1: T1 (user thread) inside a system call at PASSIVE, KAD = -1, user APC
-- U0 queued (undelivered). CPU0: T2 NtTerminateThread(T1, 7). Later T1 leaves the
-- region and finishes the call. Expected: T2's call returns STATUS_SUCCESS
-- immediately; exit NK X inserted (Increment 2), IPI, KiDeliverApc finds X blocked ->
-- nothing; T1 continues its critical-region code. In KeLeaveCriticalRegion: KR
-- PsExitSpecialApc@APC (kernel marker -> no-op), NR PspExitNormalApc@PASSIVE
-- re-queues X as a user APC at the head -> user list [X, U0], UAP = TRUE. T1
-- finishes the system call normally; at the exit, KiDeliverApc(User) takes X: its KR
-- frees X and calls PspExitThread(7) - T1 never returns to user mode. In
-- PspExitThread, U0's RR (or a free) is called, NR_U0 never runs; the kernel list is
-- empty; T1 becomes Terminated and its object is signaled with exit code 7. (T2-T5)"
--
-- Timeline: T1 enters the region at 0 and works 100 us; T2 (a user thread of the
-- same process on CPU 0) queues U0 (with a rundown routine) at 20 us and calls
-- NtTerminateThread(T1, 7) at 50 us, then waits on T1's thread object. The exit APC
-- is named "T1.ExitApc" by apcsim; PsExitSpecialApc and PspExitNormalApc are
-- built-in routines (ROUTINE_BEGIN/END rows in the trace), so their effects are
-- checked here through the queues and flags.
-- In the trace: the exit NK goes in with Increment 2 (T2); PsExitSpecialApc runs at
-- APC_LEVEL and PspExitNormalApc at PASSIVE when the region ends (T3), which re-queues
-- it at the head of the user list (T3, I5).
-- expect-dump: T1 APC_INSERT T1.ExitApc state=0 list=KernelMode pos=tail increment=2
-- expect-dump: 100000 1 T1 ROUTINE_BEGIN T1.ExitApc routine=KernelRoutine irql=APC_LEVEL mode=KernelMode
-- expect-dump: 100000 1 T1 ROUTINE_BEGIN T1.ExitApc routine=NormalRoutine irql=PASSIVE_LEVEL mode=KernelMode
-- expect-dump: T1 APC_INSERT T1.ExitApc state=0 list=UserMode pos=head increment=2
machine { cpus = 2 }

local app = process { name = "app" }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtLongCall", function()
    KeEnterCriticalRegion()
    rec("in-region")
    compute(us(100))                                 -- U0 at 20 us, NtTerminateThread at 50 us
    local s = state(T1)
    expect(s.state == "Running" and s.KernelApcDisable == -1, "T1 continued its critical-region code (T3)")
    expect(joined(s.kernel_queue) == "T1.ExitApc", "the exit NK is queued, blocked by the region (T3, R4): "
           .. joined(s.kernel_queue))
    expect(s.KernelApcPending == false, "KAP cleared by the interrupt's KiDeliverApc, which found X blocked (D2, D3)")
    expect(joined(s.user_queue) == "U0" and s.UserApcPending == false, "U0 queued, undelivered, UAP FALSE")
    rec("leave")
    KeLeaveCriticalRegion()                          -- PsExitSpecialApc, PspExitNormalApc run here (R4, R6)
    rec("left")
    s = state(T1)
    expect(#s.kernel_queue == 0, "the exit NK was delivered in KeLeaveCriticalRegion")
    expect(joined(s.user_queue) == "T1.ExitApc U0",
           "PspExitNormalApc re-queued X as a user APC at the head (T3, I5): " .. joined(s.user_queue))
    expect(s.UserApcPending == true, "UAP = TRUE (T3, I5)")
    expect(s.state == "Running" and s.ApcQueueable == true, "T1 still runs its system call (T4)")
    compute(us(50))                                  -- the system call finishes normally
    rec("syscall-done")
    return "STATUS_SUCCESS"
  end)
  rec("back-in-user-mode")
  expect(false, "T1 never returns to user mode (T4)")
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  syscall("NtQueueApcThread", function()
    local U0 = KeInitializeApc { thread = T1, name = "U0", mode = "UserMode",
      normal_routine = function() rec("NR_U0") end,
      rundown_routine = function()
        local s = state(T1)
        rec("RR_U0")
        expect(current_thread() == T1 and s.ApcQueueable == false, "RR runs in T1's PspExitThread after Q = FALSE (T5)")
        expect(#s.kernel_queue == 0, "the kernel list is empty at exit (T5)")
      end }
    expect(KeInsertQueueApc(U0), "queue U0")
  end)
  rec("U0-queued")
  compute(us(30))
  local t0 = now()
  local st = NtTerminateThread(T1, 7)
  rec("terminate-requested")
  expect(st == "STATUS_SUCCESS" and now() == t0, "NtTerminateThread returns STATUS_SUCCESS at once (T2): " .. st)
  local s = state(T1)
  expect(s.state == "Running" and joined(s.kernel_queue) == "T1.ExitApc" and s.KernelApcPending,
         "exit NK inserted into the running T1: KAP set, IPI sent (T2, I8)")
  local r = WaitForSingleObject(T1, INFINITE)
  rec("T1-signaled")
  expect(r == "WAIT_OBJECT_0", "T1's object is signaled when it ends (T5)")
  s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 7, "T1 Terminated with exit status 7: " .. tostring(s.exit_status))
  expect(now() == us(150), "T1 ended when its system call finished, at 150 us: " .. now())
  expect(joined(log) == "in-region U0-queued terminate-requested leave left syscall-done RR_U0 T1-signaled",
         "order: " .. joined(log))
end }
