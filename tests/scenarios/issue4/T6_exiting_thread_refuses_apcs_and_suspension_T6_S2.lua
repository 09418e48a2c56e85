-- T6 - once PspExitThread has cleared ApcQueueable, insertions fail and suspension
-- does nothing (SEMANTICS.md 1.H T6, 1.I S2; rules T6, T5, S2, I2).
--
-- T6: "After Q = FALSE, every KeInsertQueueApc to the thread returns FALSE (the
-- caller must free/rundown its APC) and KeSuspendThread no longer increments the
-- count." S2: "If Q is FALSE -> nothing changes." I2: FALSE "with no side effect".
--
-- T1 (user thread) has user APC U1 (with a rundown routine) queued and ends its
-- body. U1's rundown routine runs in PspExitThread after Q = FALSE (T5): from there
-- KeInsertQueueApc of a new APC to T1 returns FALSE and KeSuspendThread(T1) returns
-- 0 without changing the count. After T1 has ended, the Win32 layer sees the same
-- from outside: NtSuspendThread gives STATUS_THREAD_IS_TERMINATING, SuspendThread -1.
machine { cpus = 2 }

local app = process { name = "app" }
local checked = false
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(50))                                    -- U1 queued at 10 us
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(10), body = function()
  syscall("NtQueueApcThread", function()
    local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      normal_routine = function() expect(false, "NR_U1 never runs") end,
      rundown_routine = function()
        local s = state(T1)
        expect(not s.ApcQueueable, "Q = FALSE during the user-queue flush (T5)")
        local A = KeInitializeApc { thread = T1, name = "Late", kernel_routine = function() expect(false, "never") end }
        expect(KeInsertQueueApc(A) == false, "T6: insertion refused")
        expect(#state(T1).kernel_queue == 0, "I2: no side effect")
        expect(KeSuspendThread(T1) == 0 and state(T1).SuspendCount == 0, "T6, S2: suspension does nothing")
        checked = true
      end }
    expect(KeInsertQueueApc(U1), "U1 queued")
  end)
  expect(WaitForSingleObject(T1, INFINITE) == "WAIT_OBJECT_0", "T1 ended")
  expect(checked, "the rundown routine ran its checks")
  local n, st = NtSuspendThread(T1)
  expect(n == -1 and st == "STATUS_THREAD_IS_TERMINATING", "NtSuspendThread on an ended thread: "
         .. tostring(n) .. " " .. tostring(st))
  expect(SuspendThread(T1) == -1, "SuspendThread returns -1 on an ended thread")
  expect(ResumeThread(T1) == 0, "ResumeThread returns 0 on an ended thread")
end }
