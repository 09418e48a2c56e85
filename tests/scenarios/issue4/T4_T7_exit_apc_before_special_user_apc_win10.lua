-- T4_T7_exit_apc_before_special_user_apc_win10: T4 (win10): "At the next return to user mode, D4 dequeues the exit APC first
-- ... Previously queued user APCs are never executed." T7: win10 keeps the
-- same contract. A special user APC F queued before the termination must
-- never run; T1 must not return to user mode.
-- It ran F in user mode first (SU2 takes a special user APC from anywhere in
-- the list): the exit APC at the head now goes first. Rules: T3, T4, T7, SU2.
-- args: --profile win10
-- expect-no-dump: F runs in
-- expect-no-dump: T1 back in user code
-- expect-dump: APC_DEQUEUE SpecialUserApc state=0 list=UserMode why=2
machine { cpus = 2 }
local app = process { name = "app" }
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtLongCall", function() compute(us(100)) return "STATUS_SUCCESS" end)
  mark("T1 back in user code")
end }
thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  expect(QueueUserAPC2(function() mark("F runs in " .. current_mode()) end, T1, nil,
                       QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F accepted")
  mark("F queued")
  expect(TerminateThread(T1, 7), "terminate")
  mark("T1 terminated by T2")
end }
